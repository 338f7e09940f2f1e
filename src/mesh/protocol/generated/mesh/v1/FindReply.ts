// Original file: proto/mesh.proto

import type { FoundEntry as _mesh_v1_FoundEntry, FoundEntry__Output as _mesh_v1_FoundEntry__Output } from '../../mesh/v1/FoundEntry.js';

export interface FindReply {
  'entries'?: (_mesh_v1_FoundEntry)[];
  'truncated'?: (boolean);
}

export interface FindReply__Output {
  'entries': (_mesh_v1_FoundEntry__Output)[];
  'truncated': (boolean);
}
