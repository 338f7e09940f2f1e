// A listen address someone else holds: the operator gets the port and the
// flag that moves it, not `EADDRINUSE` (or grpc-js's "No address added").
import { MeshError } from '../../errors.js';

/** ADDRESS_IN_USE for a bind error that says the port is taken; undefined for any other error. */
export function addressInUse(err: unknown, address: string, flag: string): MeshError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  // Node's listen error carries the code; grpc-js folds it into its message.
  const taken = e?.code === 'EADDRINUSE' || /\bEADDRINUSE\b/.test(String(e?.message ?? ''));
  if (!taken) return undefined;
  const port = /:(\d+)$/.exec(address)?.[1] ?? address;
  return new MeshError('ADDRESS_IN_USE', `port ${port} (${address}) is already in use by another process; choose another port with ${flag}`, {
    address,
    port: Number(port) || undefined,
    flag,
  });
}
