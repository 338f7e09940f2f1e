// Original file: proto/mesh.proto

import type { Error as _mesh_v1_Error, Error__Output as _mesh_v1_Error__Output } from '../../mesh/v1/Error.js';
import type { Long } from '@grpc/proto-loader';

export interface Joined {
  'id'?: (number | string | Long);
  'session'?: (string);
  'error'?: (_mesh_v1_Error | null);
}

export interface Joined__Output {
  'id': (number);
  'session': (string);
  'error': (_mesh_v1_Error__Output | null);
}
