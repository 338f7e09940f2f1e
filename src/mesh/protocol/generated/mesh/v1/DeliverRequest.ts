// Original file: proto/mesh.proto

import type { Long } from '@grpc/proto-loader';

export interface DeliverRequest {
  'transferId'?: (string);
  'session'?: (string);
  'path'?: (string);
  'size'?: (number | string | Long);
  'sha256'?: (string);
  'chunkSize'?: (number);
  'chunkSha256'?: (string)[];
  'inline'?: (boolean);
  'data'?: (Buffer | Uint8Array | string);
  'chunkBlake3'?: (string)[];
}

export interface DeliverRequest__Output {
  'transferId': (string);
  'session': (string);
  'path': (string);
  'size': (number);
  'sha256': (string);
  'chunkSize': (number);
  'chunkSha256': (string)[];
  'inline': (boolean);
  'data': (Buffer);
  'chunkBlake3': (string)[];
}
