// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface DeliverReply {
  'sha256'?: (string);
  'size'?: (number | string | Long);
  'fetchedBytes'?: (number | string | Long);
}

export interface DeliverReply__Output {
  'sha256': (string);
  'size': (number);
  'fetchedBytes': (number);
}
