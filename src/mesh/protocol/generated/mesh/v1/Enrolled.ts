// Original file: proto/mesh.proto


export interface Enrolled {
}

export interface Enrolled__Output {
}
