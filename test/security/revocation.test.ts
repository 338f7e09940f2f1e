// Attack: a revoked token kept working on a stream opened before the
// revocation. Now the hub notices a revocation within its poll period and
// closes every open stream of that credential: control and data alike.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { eventually } from '../support/processes.js';
import { logLines, MiB, nodeStatus, runningTransferId } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';

const fixture = attackFixture();

it('closes the control stream and a running Fetch of a revoked credential within a second', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 's', 'n1');
  const n1 = await mesh.startNode({ id: 'n1', sessions: ['s'], rate: 2 * MiB, env: { MESH_NODE_TOKEN: token } });
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), randomBytes(32 * MiB));
  mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 's');
  // The node's Fetch stream is open and moving.
  await eventually(async () => ((await nodeStatus(mesh.hub, transferId, 'n1'))?.sentBytes ?? 0) > 0);

  const id = (await tokenCli(mesh.dataDir, 'list')).split('\n').find((l) => l.includes('\tn1\t'))!.split('\t')[0]!;
  const before = Date.now();
  await tokenCli(mesh.dataDir, 'revoke', id);
  const revokedAt = Date.now();
  const revokedLine = (call: string) => (l: string) => l.includes('credential revoked; closing the stream') && l.includes(`"call":"${call}"`);
  await mesh.hub.waitFor(revokedLine('attach'), 3_000);
  const closed = logLines(mesh.hub, 'credential revoked; closing the stream');
  await mesh.hub.waitFor(revokedLine('fetch'), 3_000);
  expect(logLines(mesh.hub, 'credential revoked; closing the stream').map((l) => l.call).sort()).toEqual(['attach', 'fetch']);
  // Within a second of the store change (the CLI's own start-up is not the hub's delay).
  expect(closed[0]!.time - revokedAt).toBeLessThan(1_000);
  expect(revokedAt - before).toBeGreaterThan(0);
  // Every later attempt is refused.
  // The node hears of it once the bytes already in flight to it have drained; every attempt after is refused.
  await n1.waitFor(/UNAUTHENTICATED/, 30_000);
  await mesh.hub.waitFor((l) => l.includes('attach refused') && l.includes(`token ${id} was revoked`), 30_000);
}, 60_000);
