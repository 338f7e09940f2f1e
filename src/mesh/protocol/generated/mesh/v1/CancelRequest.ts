// Original file: proto/mesh.proto


export interface CancelRequest {
  'transferId'?: (string);
  'session'?: (string);
  'path'?: (string);
}

export interface CancelRequest__Output {
  'transferId': (string);
  'session': (string);
  'path': (string);
}
