// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface Join {
  'id'?: (number | string | Long);
  'session'?: (string);
}

export interface Join__Output {
  'id': (number);
  'session': (string);
}
