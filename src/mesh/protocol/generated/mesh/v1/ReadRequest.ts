// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadRequest {
  'session'?: (string);
  'path'?: (string);
  'offset'?: (number | string | Long);
  'length'?: (number | string | Long);
}

export interface ReadRequest__Output {
  'session': (string);
  'path': (string);
  'offset': (number);
  'length': (number);
}
