// Original file: proto/mesh.proto


export interface SweepPartsRequest {
  'keep'?: (string)[];
}

export interface SweepPartsRequest__Output {
  'keep': (string)[];
}
