// Original file: proto/mesh.proto

import type { Entry as _mesh_v1_Entry, Entry__Output as _mesh_v1_Entry__Output } from '../../mesh/v1/Entry.js';

export interface ListReply {
  'entries'?: (_mesh_v1_Entry)[];
}

export interface ListReply__Output {
  'entries': (_mesh_v1_Entry__Output)[];
}
