// Original file: proto/mesh.proto


export interface Hello {
  'nodeId'?: (string);
  'sessions'?: (string)[];
  'version'?: (string);
}

export interface Hello__Output {
  'nodeId': (string);
  'sessions': (string)[];
  'version': (string);
}
