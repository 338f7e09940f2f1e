// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'atMs'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'atMs': (number);
}
