// Original file: proto/mesh.proto


export interface Empty {
}

export interface Empty__Output {
}
