// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadReply {
  'data'?: (Buffer | Uint8Array | string);
  'size'?: (number | string | Long);
  'offset'?: (number | string | Long);
}

export interface ReadReply__Output {
  'data': (Buffer);
  'size': (number);
  'offset': (number);
}
