// The one place a MeshError becomes a gRPC status on a server call: the
// catalogue's status code, and details as "CODE: message" so the peer (and
// its logs) keep the stable code.
import type * as grpc from '@grpc/grpc-js';
import { toMeshError } from '../../errors.js';

export function endCallWithError(call: { emit(event: 'error', err: grpc.ServiceError): unknown }, err: unknown): void {
  const mesh = toMeshError(err);
  const status: Partial<grpc.ServiceError> = { code: mesh.grpcStatus, details: `${mesh.code}: ${mesh.message}` };
  call.emit('error', status as grpc.ServiceError);
}
