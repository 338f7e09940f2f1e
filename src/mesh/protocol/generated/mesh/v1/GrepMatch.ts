// Original file: proto/mesh.proto


export interface GrepMatch {
  'path'?: (string);
  'line'?: (number);
  'text'?: (string);
}

export interface GrepMatch__Output {
  'path': (string);
  'line': (number);
  'text': (string);
}
