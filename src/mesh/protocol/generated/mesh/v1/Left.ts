// Original file: proto/mesh.proto

import type { Error as _mesh_v1_Error, Error__Output as _mesh_v1_Error__Output } from '../../mesh/v1/Error.js';

export interface Left {
  'session'?: (string);
  'error'?: (_mesh_v1_Error | null);
}

export interface Left__Output {
  'session': (string);
  'error': (_mesh_v1_Error__Output | null);
}
