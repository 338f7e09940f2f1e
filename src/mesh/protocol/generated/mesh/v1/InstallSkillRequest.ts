// Original file: proto/mesh.proto

import type { SkillFile as _mesh_v1_SkillFile, SkillFile__Output as _mesh_v1_SkillFile__Output } from '../../mesh/v1/SkillFile.js';
import type { SessionLink as _mesh_v1_SessionLink, SessionLink__Output as _mesh_v1_SessionLink__Output } from '../../mesh/v1/SessionLink.js';

export interface InstallSkillRequest {
  'name'?: (string);
  'version'?: (number);
  'sha256'?: (string);
  'files'?: (_mesh_v1_SkillFile)[];
  'links'?: (_mesh_v1_SessionLink)[];
}

export interface InstallSkillRequest__Output {
  'name': (string);
  'version': (number);
  'sha256': (string);
  'files': (_mesh_v1_SkillFile__Output)[];
  'links': (_mesh_v1_SessionLink__Output)[];
}
