// The committed types of src/mesh/protocol/generated/ are what the generator
// gives for proto/mesh.proto today, byte for byte: a field added to the .proto
// (or removed) without regenerating fails here, not on a peer.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { GENERATED_DIR, generateProtoTypes } from '../../../scripts/proto-types.js';

let tmp: string | undefined;
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = new Map<string, Buffer>();
  for (const e of entries.filter((d) => d.isFile())) {
    const file = path.join(e.parentPath, e.name);
    files.set(path.relative(dir, file), await readFile(file));
  }
  return files;
}

it('src/mesh/protocol/generated/ is what proto/mesh.proto gives', async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'proto-types-'));
  const fresh = path.join(tmp, 'generated');
  generateProtoTypes(fresh);
  const [want, have] = await Promise.all([filesUnder(fresh), filesUnder(GENERATED_DIR)]);
  const names = [...new Set([...want.keys(), ...have.keys()])].sort();
  const stale = names.filter((name) => {
    const [a, b] = [want.get(name), have.get(name)];
    return !a || !b || !a.equals(b);
  });
  expect(want.size, 'the generator wrote nothing').toBeGreaterThan(0);
  expect(stale, `src/mesh/protocol/generated/ differs from proto/mesh.proto in these files: run \`npm run proto:types\` and commit the result`).toEqual([]);
});
