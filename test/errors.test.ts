// The README's error table and the catalogue in src/errors.ts stay in step:
// every code is documented with its gRPC status, and nothing documented is
// missing from the code.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { ERROR_CATALOGUE, MeshError, toMeshError } from '../src/errors.js';

it('documents every error code with its gRPC status', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1]!, m[2]!] as const);
  const documented = new Map(rows);
  expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  for (const [code, { grpc }] of Object.entries(ERROR_CATALOGUE)) {
    expect(documented.get(code), code).toBe(GrpcStatus[grpc]);
  }
});

it('keeps codes across the wire and maps unknown ones to INTERNAL', () => {
  const e = new MeshError('NODE_OFFLINE', 'node n1 is not attached');
  expect(MeshError.fromWire(e.toJSON())).toMatchObject({ code: 'NODE_OFFLINE', message: 'node n1 is not attached' });
  expect(MeshError.fromWire({ code: 'NO_SUCH_CODE', message: 'x' }).code).toBe('INTERNAL');
  expect(toMeshError(Object.assign(new Error('gone'), { code: 'ENOENT' })).code).toBe('NOT_FOUND');
  expect(toMeshError('weird').code).toBe('INTERNAL');
  expect(toMeshError(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))).toMatchObject({ code: 'DISK_FAILED', details: { errno: 'EIO' } });
  expect(toMeshError(Object.assign(new Error('no space'), { code: 'ENOSPC' })).code).toBe('DISK_FAILED');
});
