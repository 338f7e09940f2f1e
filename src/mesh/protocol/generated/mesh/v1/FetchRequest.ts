// Original file: proto/mesh.proto


export interface FetchRequest {
  'transferId'?: (string);
  'fromChunk'?: (number);
  'maxPieceBytes'?: (number);
}

export interface FetchRequest__Output {
  'transferId': (string);
  'fromChunk': (number);
  'maxPieceBytes': (number);
}
