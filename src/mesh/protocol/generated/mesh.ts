import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelRequest as _mesh_v1_CancelRequest, CancelRequest__Output as _mesh_v1_CancelRequest__Output } from './mesh/v1/CancelRequest.js';
import type { Chunk as _mesh_v1_Chunk, Chunk__Output as _mesh_v1_Chunk__Output } from './mesh/v1/Chunk.js';
import type { DeliverReply as _mesh_v1_DeliverReply, DeliverReply__Output as _mesh_v1_DeliverReply__Output } from './mesh/v1/DeliverReply.js';
import type { DeliverRequest as _mesh_v1_DeliverRequest, DeliverRequest__Output as _mesh_v1_DeliverRequest__Output } from './mesh/v1/DeliverRequest.js';
import type { Denied as _mesh_v1_Denied, Denied__Output as _mesh_v1_Denied__Output } from './mesh/v1/Denied.js';
import type { Empty as _mesh_v1_Empty, Empty__Output as _mesh_v1_Empty__Output } from './mesh/v1/Empty.js';
import type { Enrolled as _mesh_v1_Enrolled, Enrolled__Output as _mesh_v1_Enrolled__Output } from './mesh/v1/Enrolled.js';
import type { Entry as _mesh_v1_Entry, Entry__Output as _mesh_v1_Entry__Output } from './mesh/v1/Entry.js';
import type { Error as _mesh_v1_Error, Error__Output as _mesh_v1_Error__Output } from './mesh/v1/Error.js';
import type { FetchRequest as _mesh_v1_FetchRequest, FetchRequest__Output as _mesh_v1_FetchRequest__Output } from './mesh/v1/FetchRequest.js';
import type { FindReply as _mesh_v1_FindReply, FindReply__Output as _mesh_v1_FindReply__Output } from './mesh/v1/FindReply.js';
import type { FindRequest as _mesh_v1_FindRequest, FindRequest__Output as _mesh_v1_FindRequest__Output } from './mesh/v1/FindRequest.js';
import type { FoundEntry as _mesh_v1_FoundEntry, FoundEntry__Output as _mesh_v1_FoundEntry__Output } from './mesh/v1/FoundEntry.js';
import type { GrepMatch as _mesh_v1_GrepMatch, GrepMatch__Output as _mesh_v1_GrepMatch__Output } from './mesh/v1/GrepMatch.js';
import type { GrepReply as _mesh_v1_GrepReply, GrepReply__Output as _mesh_v1_GrepReply__Output } from './mesh/v1/GrepReply.js';
import type { GrepRequest as _mesh_v1_GrepRequest, GrepRequest__Output as _mesh_v1_GrepRequest__Output } from './mesh/v1/GrepRequest.js';
import type { Heartbeat as _mesh_v1_Heartbeat, Heartbeat__Output as _mesh_v1_Heartbeat__Output } from './mesh/v1/Heartbeat.js';
import type { Hello as _mesh_v1_Hello, Hello__Output as _mesh_v1_Hello__Output } from './mesh/v1/Hello.js';
import type { HubFrame as _mesh_v1_HubFrame, HubFrame__Output as _mesh_v1_HubFrame__Output } from './mesh/v1/HubFrame.js';
import type { InstallSkillRequest as _mesh_v1_InstallSkillRequest, InstallSkillRequest__Output as _mesh_v1_InstallSkillRequest__Output } from './mesh/v1/InstallSkillRequest.js';
import type { Join as _mesh_v1_Join, Join__Output as _mesh_v1_Join__Output } from './mesh/v1/Join.js';
import type { Joined as _mesh_v1_Joined, Joined__Output as _mesh_v1_Joined__Output } from './mesh/v1/Joined.js';
import type { Left as _mesh_v1_Left, Left__Output as _mesh_v1_Left__Output } from './mesh/v1/Left.js';
import type { ListReply as _mesh_v1_ListReply, ListReply__Output as _mesh_v1_ListReply__Output } from './mesh/v1/ListReply.js';
import type { ListRequest as _mesh_v1_ListRequest, ListRequest__Output as _mesh_v1_ListRequest__Output } from './mesh/v1/ListRequest.js';
import type { ManifestAck as _mesh_v1_ManifestAck, ManifestAck__Output as _mesh_v1_ManifestAck__Output } from './mesh/v1/ManifestAck.js';
import type { ManifestDelta as _mesh_v1_ManifestDelta, ManifestDelta__Output as _mesh_v1_ManifestDelta__Output } from './mesh/v1/ManifestDelta.js';
import type { ManifestEntry as _mesh_v1_ManifestEntry, ManifestEntry__Output as _mesh_v1_ManifestEntry__Output } from './mesh/v1/ManifestEntry.js';
import type { ManifestReport as _mesh_v1_ManifestReport, ManifestReport__Output as _mesh_v1_ManifestReport__Output } from './mesh/v1/ManifestReport.js';
import type { MeshClient as _mesh_v1_MeshClient, MeshDefinition as _mesh_v1_MeshDefinition } from './mesh/v1/Mesh.js';
import type { MoveRequest as _mesh_v1_MoveRequest, MoveRequest__Output as _mesh_v1_MoveRequest__Output } from './mesh/v1/MoveRequest.js';
import type { NodeFrame as _mesh_v1_NodeFrame, NodeFrame__Output as _mesh_v1_NodeFrame__Output } from './mesh/v1/NodeFrame.js';
import type { Progress as _mesh_v1_Progress, Progress__Output as _mesh_v1_Progress__Output } from './mesh/v1/Progress.js';
import type { ReadReply as _mesh_v1_ReadReply, ReadReply__Output as _mesh_v1_ReadReply__Output } from './mesh/v1/ReadReply.js';
import type { ReadRequest as _mesh_v1_ReadRequest, ReadRequest__Output as _mesh_v1_ReadRequest__Output } from './mesh/v1/ReadRequest.js';
import type { RemoveRequest as _mesh_v1_RemoveRequest, RemoveRequest__Output as _mesh_v1_RemoveRequest__Output } from './mesh/v1/RemoveRequest.js';
import type { Reply as _mesh_v1_Reply, Reply__Output as _mesh_v1_Reply__Output } from './mesh/v1/Reply.js';
import type { Request as _mesh_v1_Request, Request__Output as _mesh_v1_Request__Output } from './mesh/v1/Request.js';
import type { SessionLink as _mesh_v1_SessionLink, SessionLink__Output as _mesh_v1_SessionLink__Output } from './mesh/v1/SessionLink.js';
import type { SkillFile as _mesh_v1_SkillFile, SkillFile__Output as _mesh_v1_SkillFile__Output } from './mesh/v1/SkillFile.js';
import type { SweepPartsRequest as _mesh_v1_SweepPartsRequest, SweepPartsRequest__Output as _mesh_v1_SweepPartsRequest__Output } from './mesh/v1/SweepPartsRequest.js';
import type { Welcome as _mesh_v1_Welcome, Welcome__Output as _mesh_v1_Welcome__Output } from './mesh/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mesh: {
    v1: {
      CancelRequest: MessageTypeDefinition<_mesh_v1_CancelRequest, _mesh_v1_CancelRequest__Output>
      Chunk: MessageTypeDefinition<_mesh_v1_Chunk, _mesh_v1_Chunk__Output>
      DeliverReply: MessageTypeDefinition<_mesh_v1_DeliverReply, _mesh_v1_DeliverReply__Output>
      DeliverRequest: MessageTypeDefinition<_mesh_v1_DeliverRequest, _mesh_v1_DeliverRequest__Output>
      Denied: MessageTypeDefinition<_mesh_v1_Denied, _mesh_v1_Denied__Output>
      Empty: MessageTypeDefinition<_mesh_v1_Empty, _mesh_v1_Empty__Output>
      Enrolled: MessageTypeDefinition<_mesh_v1_Enrolled, _mesh_v1_Enrolled__Output>
      Entry: MessageTypeDefinition<_mesh_v1_Entry, _mesh_v1_Entry__Output>
      Error: MessageTypeDefinition<_mesh_v1_Error, _mesh_v1_Error__Output>
      FetchRequest: MessageTypeDefinition<_mesh_v1_FetchRequest, _mesh_v1_FetchRequest__Output>
      FindReply: MessageTypeDefinition<_mesh_v1_FindReply, _mesh_v1_FindReply__Output>
      FindRequest: MessageTypeDefinition<_mesh_v1_FindRequest, _mesh_v1_FindRequest__Output>
      FoundEntry: MessageTypeDefinition<_mesh_v1_FoundEntry, _mesh_v1_FoundEntry__Output>
      GrepMatch: MessageTypeDefinition<_mesh_v1_GrepMatch, _mesh_v1_GrepMatch__Output>
      GrepReply: MessageTypeDefinition<_mesh_v1_GrepReply, _mesh_v1_GrepReply__Output>
      GrepRequest: MessageTypeDefinition<_mesh_v1_GrepRequest, _mesh_v1_GrepRequest__Output>
      Heartbeat: MessageTypeDefinition<_mesh_v1_Heartbeat, _mesh_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_mesh_v1_Hello, _mesh_v1_Hello__Output>
      HubFrame: MessageTypeDefinition<_mesh_v1_HubFrame, _mesh_v1_HubFrame__Output>
      InstallSkillRequest: MessageTypeDefinition<_mesh_v1_InstallSkillRequest, _mesh_v1_InstallSkillRequest__Output>
      Join: MessageTypeDefinition<_mesh_v1_Join, _mesh_v1_Join__Output>
      Joined: MessageTypeDefinition<_mesh_v1_Joined, _mesh_v1_Joined__Output>
      Left: MessageTypeDefinition<_mesh_v1_Left, _mesh_v1_Left__Output>
      ListReply: MessageTypeDefinition<_mesh_v1_ListReply, _mesh_v1_ListReply__Output>
      ListRequest: MessageTypeDefinition<_mesh_v1_ListRequest, _mesh_v1_ListRequest__Output>
      ManifestAck: MessageTypeDefinition<_mesh_v1_ManifestAck, _mesh_v1_ManifestAck__Output>
      ManifestDelta: MessageTypeDefinition<_mesh_v1_ManifestDelta, _mesh_v1_ManifestDelta__Output>
      ManifestEntry: MessageTypeDefinition<_mesh_v1_ManifestEntry, _mesh_v1_ManifestEntry__Output>
      ManifestReport: MessageTypeDefinition<_mesh_v1_ManifestReport, _mesh_v1_ManifestReport__Output>
      Mesh: SubtypeConstructor<typeof grpc.Client, _mesh_v1_MeshClient> & { service: _mesh_v1_MeshDefinition }
      MoveRequest: MessageTypeDefinition<_mesh_v1_MoveRequest, _mesh_v1_MoveRequest__Output>
      NodeFrame: MessageTypeDefinition<_mesh_v1_NodeFrame, _mesh_v1_NodeFrame__Output>
      Progress: MessageTypeDefinition<_mesh_v1_Progress, _mesh_v1_Progress__Output>
      ReadReply: MessageTypeDefinition<_mesh_v1_ReadReply, _mesh_v1_ReadReply__Output>
      ReadRequest: MessageTypeDefinition<_mesh_v1_ReadRequest, _mesh_v1_ReadRequest__Output>
      RemoveRequest: MessageTypeDefinition<_mesh_v1_RemoveRequest, _mesh_v1_RemoveRequest__Output>
      Reply: MessageTypeDefinition<_mesh_v1_Reply, _mesh_v1_Reply__Output>
      Request: MessageTypeDefinition<_mesh_v1_Request, _mesh_v1_Request__Output>
      SessionLink: MessageTypeDefinition<_mesh_v1_SessionLink, _mesh_v1_SessionLink__Output>
      SkillFile: MessageTypeDefinition<_mesh_v1_SkillFile, _mesh_v1_SkillFile__Output>
      SweepPartsRequest: MessageTypeDefinition<_mesh_v1_SweepPartsRequest, _mesh_v1_SweepPartsRequest__Output>
      Welcome: MessageTypeDefinition<_mesh_v1_Welcome, _mesh_v1_Welcome__Output>
    }
  }
}

