// Original file: proto/mesh.proto


export interface ListRequest {
  'session'?: (string);
  'path'?: (string);
}

export interface ListRequest__Output {
  'session': (string);
  'path': (string);
}
