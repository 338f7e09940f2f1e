// Original file: proto/mesh.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Chunk as _mesh_v1_Chunk, Chunk__Output as _mesh_v1_Chunk__Output } from '../../mesh/v1/Chunk.js';
import type { FetchRequest as _mesh_v1_FetchRequest, FetchRequest__Output as _mesh_v1_FetchRequest__Output } from '../../mesh/v1/FetchRequest.js';
import type { HubFrame as _mesh_v1_HubFrame, HubFrame__Output as _mesh_v1_HubFrame__Output } from '../../mesh/v1/HubFrame.js';
import type { NodeFrame as _mesh_v1_NodeFrame, NodeFrame__Output as _mesh_v1_NodeFrame__Output } from '../../mesh/v1/NodeFrame.js';

export interface MeshClient extends grpc.Client {
  Attach(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_mesh_v1_NodeFrame, _mesh_v1_HubFrame__Output>;
  Attach(options?: grpc.CallOptions): grpc.ClientDuplexStream<_mesh_v1_NodeFrame, _mesh_v1_HubFrame__Output>;
  attach(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_mesh_v1_NodeFrame, _mesh_v1_HubFrame__Output>;
  attach(options?: grpc.CallOptions): grpc.ClientDuplexStream<_mesh_v1_NodeFrame, _mesh_v1_HubFrame__Output>;
  
  Fetch(argument: _mesh_v1_FetchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mesh_v1_Chunk__Output>;
  Fetch(argument: _mesh_v1_FetchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mesh_v1_Chunk__Output>;
  fetch(argument: _mesh_v1_FetchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mesh_v1_Chunk__Output>;
  fetch(argument: _mesh_v1_FetchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mesh_v1_Chunk__Output>;
  
}

export interface MeshHandlers extends grpc.UntypedServiceImplementation {
  Attach: grpc.handleBidiStreamingCall<_mesh_v1_NodeFrame__Output, _mesh_v1_HubFrame>;
  
  Fetch: grpc.handleServerStreamingCall<_mesh_v1_FetchRequest__Output, _mesh_v1_Chunk>;
  
}

export interface MeshDefinition extends grpc.ServiceDefinition {
  Attach: MethodDefinition<_mesh_v1_NodeFrame, _mesh_v1_HubFrame, _mesh_v1_NodeFrame__Output, _mesh_v1_HubFrame__Output>
  Fetch: MethodDefinition<_mesh_v1_FetchRequest, _mesh_v1_Chunk, _mesh_v1_FetchRequest__Output, _mesh_v1_Chunk__Output>
}
