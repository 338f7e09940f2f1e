// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface DeliverReply {
  'sha256'?: (string);
  'size'?: (number | string | Long);
  'fetchedBytes'?: (number | string | Long);
  'chunkBlake3'?: (string)[];
}

export interface DeliverReply__Output {
  'sha256': (string);
  'size': (number);
  'fetchedBytes': (number);
  'chunkBlake3': (string)[];
}
