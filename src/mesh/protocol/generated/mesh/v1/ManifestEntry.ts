// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface ManifestEntry {
  'path'?: (string);
  'size'?: (number | string | Long);
  'mtimeMs'?: (number | string | Long);
  'sha256'?: (string);
}

export interface ManifestEntry__Output {
  'path': (string);
  'size': (number);
  'mtimeMs': (number);
  'sha256': (string);
}
