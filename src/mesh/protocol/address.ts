// HOST:PORT parsing shared by the gRPC and HTTP listeners and the node dialer.
import { MeshError } from '../../errors.js';

export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  if (!match) throw new MeshError('INVALID_ARGUMENT', `address must be HOST:PORT (got "${address}")`);
  const port = Number(match[3]);
  if (port > 65535) throw new MeshError('INVALID_ARGUMENT', `port out of range in "${address}"`);
  return { host: (match[1] ?? match[2])!, port };
}

/** HOST:PORT from its parts, an IPv6 host in brackets: what splitHostPort reads back. */
export function joinHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
