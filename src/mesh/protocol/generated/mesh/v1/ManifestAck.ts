// Original file: proto/mesh.proto

import type { Error as _mesh_v1_Error, Error__Output as _mesh_v1_Error__Output } from '../../mesh/v1/Error.js';
import type { Long } from '@grpc/proto-loader';

export interface ManifestAck {
  'session'?: (string);
  'epoch'?: (string);
  'seq'?: (number | string | Long);
  'full'?: (boolean);
  'error'?: (_mesh_v1_Error | null);
}

export interface ManifestAck__Output {
  'session': (string);
  'epoch': (string);
  'seq': (number);
  'full': (boolean);
  'error': (_mesh_v1_Error__Output | null);
}
