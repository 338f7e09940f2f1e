// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'name'?: (string);
  'type'?: (string);
  'size'?: (number | string | Long);
  'mtimeMs'?: (number | string | Long);
}

export interface Entry__Output {
  'name': (string);
  'type': (string);
  'size': (number);
  'mtimeMs': (number);
}
