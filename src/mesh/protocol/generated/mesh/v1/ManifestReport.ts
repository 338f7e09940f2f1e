// Original file: proto/mesh.proto

import type { ManifestEntry as _mesh_v1_ManifestEntry, ManifestEntry__Output as _mesh_v1_ManifestEntry__Output } from '../../mesh/v1/ManifestEntry.js';
import type { Long } from '@grpc/proto-loader';

export interface ManifestReport {
  'session'?: (string);
  'entries'?: (_mesh_v1_ManifestEntry)[];
  'epoch'?: (string);
  'seq'?: (number | string | Long);
  'page'?: (number);
  'last'?: (boolean);
}

export interface ManifestReport__Output {
  'session': (string);
  'entries': (_mesh_v1_ManifestEntry__Output)[];
  'epoch': (string);
  'seq': (number);
  'page': (number);
  'last': (boolean);
}
