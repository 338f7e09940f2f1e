// Original file: proto/mesh.proto


export interface SessionLink {
  'session'?: (string);
  'path'?: (string);
}

export interface SessionLink__Output {
  'session': (string);
  'path': (string);
}
