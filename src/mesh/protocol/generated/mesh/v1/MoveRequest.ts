// Original file: proto/mesh.proto


export interface MoveRequest {
  'session'?: (string);
  'from'?: (string);
  'to'?: (string);
  'overwrite'?: (boolean);
}

export interface MoveRequest__Output {
  'session': (string);
  'from': (string);
  'to': (string);
  'overwrite': (boolean);
}
