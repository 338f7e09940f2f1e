// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface FoundEntry {
  'path'?: (string);
  'type'?: (string);
  'size'?: (number | string | Long);
  'mtimeMs'?: (number | string | Long);
}

export interface FoundEntry__Output {
  'path': (string);
  'type': (string);
  'size': (number);
  'mtimeMs': (number);
}
