// Original file: proto/mesh.proto


export interface Chunk {
  'index'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  'compressed'?: (boolean);
  'sha256'?: (string);
  'rawSize'?: (number);
  'offset'?: (number);
  'blake3'?: (string);
}

export interface Chunk__Output {
  'index': (number);
  'data': (Buffer);
  'compressed': (boolean);
  'sha256': (string);
  'rawSize': (number);
  'offset': (number);
  'blake3': (string);
}
