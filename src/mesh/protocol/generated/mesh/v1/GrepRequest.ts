// Original file: proto/mesh.proto


export interface GrepRequest {
  'session'?: (string);
  'path'?: (string);
  'pattern'?: (string);
  'glob'?: (string);
  'regex'?: (boolean);
  'ignoreCase'?: (boolean);
  'maxResults'?: (number);
  'deadlineMs'?: (number);
}

export interface GrepRequest__Output {
  'session': (string);
  'path': (string);
  'pattern': (string);
  'glob': (string);
  'regex': (boolean);
  'ignoreCase': (boolean);
  'maxResults': (number);
  'deadlineMs': (number);
}
