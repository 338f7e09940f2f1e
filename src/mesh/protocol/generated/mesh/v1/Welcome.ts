// Original file: proto/mesh.proto

import type { Denied as _mesh_v1_Denied, Denied__Output as _mesh_v1_Denied__Output } from '../../mesh/v1/Denied.js';

export interface Welcome {
  'sessions'?: (string)[];
  'hubId'?: (string);
  'denied'?: (_mesh_v1_Denied)[];
  'credential'?: (string);
  'fetchPort'?: (number);
  'dataPort'?: (number);
}

export interface Welcome__Output {
  'sessions': (string)[];
  'hubId': (string);
  'denied': (_mesh_v1_Denied__Output)[];
  'credential': (string);
  'fetchPort': (number);
  'dataPort': (number);
}
