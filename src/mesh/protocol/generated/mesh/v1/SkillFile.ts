// Original file: proto/mesh.proto


export interface SkillFile {
  'path'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  'mode'?: (number);
}

export interface SkillFile__Output {
  'path': (string);
  'data': (Buffer);
  'mode': (number);
}
