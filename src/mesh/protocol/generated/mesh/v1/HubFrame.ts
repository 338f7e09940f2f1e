// Original file: proto/mesh.proto

import type { Welcome as _mesh_v1_Welcome, Welcome__Output as _mesh_v1_Welcome__Output } from '../../mesh/v1/Welcome.js';
import type { Request as _mesh_v1_Request, Request__Output as _mesh_v1_Request__Output } from '../../mesh/v1/Request.js';
import type { Heartbeat as _mesh_v1_Heartbeat, Heartbeat__Output as _mesh_v1_Heartbeat__Output } from '../../mesh/v1/Heartbeat.js';
import type { Joined as _mesh_v1_Joined, Joined__Output as _mesh_v1_Joined__Output } from '../../mesh/v1/Joined.js';
import type { Left as _mesh_v1_Left, Left__Output as _mesh_v1_Left__Output } from '../../mesh/v1/Left.js';
import type { ManifestAck as _mesh_v1_ManifestAck, ManifestAck__Output as _mesh_v1_ManifestAck__Output } from '../../mesh/v1/ManifestAck.js';

export interface HubFrame {
  'welcome'?: (_mesh_v1_Welcome | null);
  'request'?: (_mesh_v1_Request | null);
  'heartbeat'?: (_mesh_v1_Heartbeat | null);
  'joined'?: (_mesh_v1_Joined | null);
  'left'?: (_mesh_v1_Left | null);
  'manifestAck'?: (_mesh_v1_ManifestAck | null);
  'kind'?: "welcome"|"request"|"heartbeat"|"joined"|"left"|"manifestAck";
}

export interface HubFrame__Output {
  'welcome'?: (_mesh_v1_Welcome__Output | null);
  'request'?: (_mesh_v1_Request__Output | null);
  'heartbeat'?: (_mesh_v1_Heartbeat__Output | null);
  'joined'?: (_mesh_v1_Joined__Output | null);
  'left'?: (_mesh_v1_Left__Output | null);
  'manifestAck'?: (_mesh_v1_ManifestAck__Output | null);
  'kind'?: "welcome"|"request"|"heartbeat"|"joined"|"left"|"manifestAck";
}
