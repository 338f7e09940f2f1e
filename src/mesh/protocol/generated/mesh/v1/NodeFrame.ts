// Original file: proto/mesh.proto

import type { Hello as _mesh_v1_Hello, Hello__Output as _mesh_v1_Hello__Output } from '../../mesh/v1/Hello.js';
import type { Reply as _mesh_v1_Reply, Reply__Output as _mesh_v1_Reply__Output } from '../../mesh/v1/Reply.js';
import type { Heartbeat as _mesh_v1_Heartbeat, Heartbeat__Output as _mesh_v1_Heartbeat__Output } from '../../mesh/v1/Heartbeat.js';
import type { ManifestReport as _mesh_v1_ManifestReport, ManifestReport__Output as _mesh_v1_ManifestReport__Output } from '../../mesh/v1/ManifestReport.js';
import type { Progress as _mesh_v1_Progress, Progress__Output as _mesh_v1_Progress__Output } from '../../mesh/v1/Progress.js';
import type { Join as _mesh_v1_Join, Join__Output as _mesh_v1_Join__Output } from '../../mesh/v1/Join.js';
import type { Enrolled as _mesh_v1_Enrolled, Enrolled__Output as _mesh_v1_Enrolled__Output } from '../../mesh/v1/Enrolled.js';
import type { ManifestDelta as _mesh_v1_ManifestDelta, ManifestDelta__Output as _mesh_v1_ManifestDelta__Output } from '../../mesh/v1/ManifestDelta.js';

export interface NodeFrame {
  'hello'?: (_mesh_v1_Hello | null);
  'reply'?: (_mesh_v1_Reply | null);
  'heartbeat'?: (_mesh_v1_Heartbeat | null);
  'manifest'?: (_mesh_v1_ManifestReport | null);
  'progress'?: (_mesh_v1_Progress | null);
  'join'?: (_mesh_v1_Join | null);
  'enrolled'?: (_mesh_v1_Enrolled | null);
  'manifestDelta'?: (_mesh_v1_ManifestDelta | null);
  'kind'?: "hello"|"reply"|"heartbeat"|"manifest"|"progress"|"join"|"enrolled"|"manifestDelta";
}

export interface NodeFrame__Output {
  'hello'?: (_mesh_v1_Hello__Output | null);
  'reply'?: (_mesh_v1_Reply__Output | null);
  'heartbeat'?: (_mesh_v1_Heartbeat__Output | null);
  'manifest'?: (_mesh_v1_ManifestReport__Output | null);
  'progress'?: (_mesh_v1_Progress__Output | null);
  'join'?: (_mesh_v1_Join__Output | null);
  'enrolled'?: (_mesh_v1_Enrolled__Output | null);
  'manifestDelta'?: (_mesh_v1_ManifestDelta__Output | null);
  'kind'?: "hello"|"reply"|"heartbeat"|"manifest"|"progress"|"join"|"enrolled"|"manifestDelta";
}
