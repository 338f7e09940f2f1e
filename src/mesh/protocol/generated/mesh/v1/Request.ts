// Original file: proto/mesh.proto

import type { ListRequest as _mesh_v1_ListRequest, ListRequest__Output as _mesh_v1_ListRequest__Output } from '../../mesh/v1/ListRequest.js';
import type { ReadRequest as _mesh_v1_ReadRequest, ReadRequest__Output as _mesh_v1_ReadRequest__Output } from '../../mesh/v1/ReadRequest.js';
import type { DeliverRequest as _mesh_v1_DeliverRequest, DeliverRequest__Output as _mesh_v1_DeliverRequest__Output } from '../../mesh/v1/DeliverRequest.js';
import type { CancelRequest as _mesh_v1_CancelRequest, CancelRequest__Output as _mesh_v1_CancelRequest__Output } from '../../mesh/v1/CancelRequest.js';
import type { InstallSkillRequest as _mesh_v1_InstallSkillRequest, InstallSkillRequest__Output as _mesh_v1_InstallSkillRequest__Output } from '../../mesh/v1/InstallSkillRequest.js';
import type { SweepPartsRequest as _mesh_v1_SweepPartsRequest, SweepPartsRequest__Output as _mesh_v1_SweepPartsRequest__Output } from '../../mesh/v1/SweepPartsRequest.js';
import type { RemoveRequest as _mesh_v1_RemoveRequest, RemoveRequest__Output as _mesh_v1_RemoveRequest__Output } from '../../mesh/v1/RemoveRequest.js';
import type { MoveRequest as _mesh_v1_MoveRequest, MoveRequest__Output as _mesh_v1_MoveRequest__Output } from '../../mesh/v1/MoveRequest.js';
import type { FindRequest as _mesh_v1_FindRequest, FindRequest__Output as _mesh_v1_FindRequest__Output } from '../../mesh/v1/FindRequest.js';
import type { GrepRequest as _mesh_v1_GrepRequest, GrepRequest__Output as _mesh_v1_GrepRequest__Output } from '../../mesh/v1/GrepRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface Request {
  'id'?: (number | string | Long);
  'list'?: (_mesh_v1_ListRequest | null);
  'read'?: (_mesh_v1_ReadRequest | null);
  'deliver'?: (_mesh_v1_DeliverRequest | null);
  'cancel'?: (_mesh_v1_CancelRequest | null);
  'installSkill'?: (_mesh_v1_InstallSkillRequest | null);
  'sweepParts'?: (_mesh_v1_SweepPartsRequest | null);
  'remove'?: (_mesh_v1_RemoveRequest | null);
  'move'?: (_mesh_v1_MoveRequest | null);
  'find'?: (_mesh_v1_FindRequest | null);
  'grep'?: (_mesh_v1_GrepRequest | null);
  'requestId'?: (string);
  'op'?: "list"|"read"|"deliver"|"cancel"|"installSkill"|"remove"|"move"|"find"|"grep"|"sweepParts";
}

export interface Request__Output {
  'id': (number);
  'list'?: (_mesh_v1_ListRequest__Output | null);
  'read'?: (_mesh_v1_ReadRequest__Output | null);
  'deliver'?: (_mesh_v1_DeliverRequest__Output | null);
  'cancel'?: (_mesh_v1_CancelRequest__Output | null);
  'installSkill'?: (_mesh_v1_InstallSkillRequest__Output | null);
  'sweepParts'?: (_mesh_v1_SweepPartsRequest__Output | null);
  'remove'?: (_mesh_v1_RemoveRequest__Output | null);
  'move'?: (_mesh_v1_MoveRequest__Output | null);
  'find'?: (_mesh_v1_FindRequest__Output | null);
  'grep'?: (_mesh_v1_GrepRequest__Output | null);
  'requestId': (string);
  'op'?: "list"|"read"|"deliver"|"cancel"|"installSkill"|"remove"|"move"|"find"|"grep"|"sweepParts";
}
