// Original file: proto/mesh.proto

import type { ManifestEntry as _mesh_v1_ManifestEntry, ManifestEntry__Output as _mesh_v1_ManifestEntry__Output } from '../../mesh/v1/ManifestEntry.js';
import type { Long } from '@grpc/proto-loader';

export interface ManifestDelta {
  'session'?: (string);
  'epoch'?: (string);
  'baseSeq'?: (number | string | Long);
  'seq'?: (number | string | Long);
  'changed'?: (_mesh_v1_ManifestEntry)[];
  'removed'?: (string)[];
}

export interface ManifestDelta__Output {
  'session': (string);
  'epoch': (string);
  'baseSeq': (number);
  'seq': (number);
  'changed': (_mesh_v1_ManifestEntry__Output)[];
  'removed': (string)[];
}
