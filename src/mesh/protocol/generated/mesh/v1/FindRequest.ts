// Original file: proto/mesh.proto


export interface FindRequest {
  'session'?: (string);
  'path'?: (string);
  'pattern'?: (string);
  'limit'?: (number);
  'maxDepth'?: (number);
}

export interface FindRequest__Output {
  'session': (string);
  'path': (string);
  'pattern': (string);
  'limit': (number);
  'maxDepth': (number);
}
