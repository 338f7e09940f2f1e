// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface Progress {
  'transferId'?: (string);
  'verifiedChunks'?: (number);
  'bytes'?: (number | string | Long);
}

export interface Progress__Output {
  'transferId': (string);
  'verifiedChunks': (number);
  'bytes': (number);
}
