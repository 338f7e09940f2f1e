// Original file: proto/mesh.proto

import type { Error as _mesh_v1_Error, Error__Output as _mesh_v1_Error__Output } from '../../mesh/v1/Error.js';
import type { ListReply as _mesh_v1_ListReply, ListReply__Output as _mesh_v1_ListReply__Output } from '../../mesh/v1/ListReply.js';
import type { ReadReply as _mesh_v1_ReadReply, ReadReply__Output as _mesh_v1_ReadReply__Output } from '../../mesh/v1/ReadReply.js';
import type { DeliverReply as _mesh_v1_DeliverReply, DeliverReply__Output as _mesh_v1_DeliverReply__Output } from '../../mesh/v1/DeliverReply.js';
import type { Empty as _mesh_v1_Empty, Empty__Output as _mesh_v1_Empty__Output } from '../../mesh/v1/Empty.js';
import type { FindReply as _mesh_v1_FindReply, FindReply__Output as _mesh_v1_FindReply__Output } from '../../mesh/v1/FindReply.js';
import type { GrepReply as _mesh_v1_GrepReply, GrepReply__Output as _mesh_v1_GrepReply__Output } from '../../mesh/v1/GrepReply.js';
import type { Long } from '@grpc/proto-loader';

export interface Reply {
  'id'?: (number | string | Long);
  'error'?: (_mesh_v1_Error | null);
  'list'?: (_mesh_v1_ListReply | null);
  'read'?: (_mesh_v1_ReadReply | null);
  'deliver'?: (_mesh_v1_DeliverReply | null);
  'ok'?: (_mesh_v1_Empty | null);
  'find'?: (_mesh_v1_FindReply | null);
  'grep'?: (_mesh_v1_GrepReply | null);
  'result'?: "list"|"read"|"deliver"|"ok"|"find"|"grep";
}

export interface Reply__Output {
  'id': (number);
  'error': (_mesh_v1_Error__Output | null);
  'list'?: (_mesh_v1_ListReply__Output | null);
  'read'?: (_mesh_v1_ReadReply__Output | null);
  'deliver'?: (_mesh_v1_DeliverReply__Output | null);
  'ok'?: (_mesh_v1_Empty__Output | null);
  'find'?: (_mesh_v1_FindReply__Output | null);
  'grep'?: (_mesh_v1_GrepReply__Output | null);
  'result'?: "list"|"read"|"deliver"|"ok"|"find"|"grep";
}
