// Attack: someone on a node's machine plants the part file of a delivery in
// progress (`.<name>.part-<transferId>`) as a link to a file outside the
// workspace, a symbolic link or a hard link, while the node is down. When the
// node comes back and resumes the delivery, the outside file must stay
// byte-for-byte as it was, and the delivery must still complete correctly.
import { randomBytes } from 'node:crypto';
import { link, lstat, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTestFile } from '../../bench/lib/data.js';
import { eventually, killAll } from '../support/processes.js';
import { CHUNK_SIZE, findPartFile, MiB, partSize, runningTransferId, startMesh, waitForFile } from '../mesh/transfer/helpers.js';

afterAll(killAll);

const SIZE = 12 * MiB;

it.each([
  ['a symbolic link', (victim: string, part: string) => symlink(victim, part)],
  ['a hard link', (victim: string, part: string) => link(victim, part)],
])('a part file planted as %s to a file outside is replaced, never written through', async (_kind, plant) => {
  const mesh = await startMesh();
  try {
    const file = await makeTestFile(path.join(mesh.sourceDir, 'big.bin'), SIZE, 9);
    await mesh.startNode({ id: 'n1', sessions: ['s'], rate: 4 * MiB });
    const target = mesh.nodeFile('n1', 's', 'big.bin');
    const push = mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' });
    push.catch(() => {});
    const transferId = await runningTransferId(mesh.hub, 's');
    // The node is down with part of the file verified.
    await eventually(async () => (await partSize(target)) >= CHUNK_SIZE, 30_000, 25);
    await mesh.nodes.get('n1')!.kill('SIGKILL');
    const part = path.join(path.dirname(target), `.big.bin.part-${transferId}`);
    expect(await findPartFile(target)).toBe(part);
    expect((await push).outcomes).toEqual([{ node: 'n1', status: 'offline' }]);

    // The victim lies outside the workspace; the attacker swaps the part file for a link to it.
    const victim = path.join(mesh.root, 'victim.bin');
    const victimBytes = randomBytes(2 * MiB);
    await writeFile(victim, victimBytes);
    await rm(part);
    await plant(victim, part);

    await mesh.startNode({ id: 'n1', sessions: ['s'] });
    await waitForFile(target, file.sha256, 30_000);
    expect((await lstat(target)).isFile()).toBe(true);
    expect((await lstat(target)).nlink).toBe(1);
    expect((await readFile(victim)).equals(victimBytes)).toBe(true);
    expect(await findPartFile(target)).toBeUndefined();
    await eventually(async () => (await mesh.hub.call({ op: 'status' })).transfers.length === 0, 15_000);
    expect((await readFile(victim)).equals(victimBytes)).toBe(true);
  } finally {
    await mesh.close();
  }
}, 60_000);
