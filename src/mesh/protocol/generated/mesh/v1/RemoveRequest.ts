// Original file: proto/mesh.proto


export interface RemoveRequest {
  'session'?: (string);
  'path'?: (string);
  'recursive'?: (boolean);
}

export interface RemoveRequest__Output {
  'session': (string);
  'path': (string);
  'recursive': (boolean);
}
