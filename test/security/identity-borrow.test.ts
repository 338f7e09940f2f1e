// Attack: a holder of a shared token claims another node's id. The real
// node used to be dropped, its reads forged and its transfers fetched by the
// impostor. Now the first attach of an id enrols it: the hub issues that node
// its own credential (kept 0600 in its workspace), and from then on the id
// is admitted only with it.
import { stat } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { credentialPath } from '../../src/mesh/node/credential-file.js';
import { eventually, startNodeProc, waitAttached } from '../support/processes.js';
import { runningTransferId, MiB } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const fixture = attackFixture();

it('an impostor with the shared token is refused and the real node stays attached and answers', async () => {
  const mesh = await fixture.mesh();
  const real = await mesh.startNode({ id: 'real', sessions: ['s'] });
  await real.waitFor(/enrolled: this node now attaches with its own credential/);
  expect((await stat(credentialPath(mesh.workspace('real')))).mode & 0o777).toBe(0o600);
  await mesh.hub.call({ op: 'write', session: 's', path: 'truth.txt', content: 'the real content\n' });

  const unbound = await mint(mesh.dataDir, '*');
  for (const token of ['test-token', unbound]) {
    const impostor = fixture.hostile({ port: mesh.port, nodeId: 'real', token, sessions: ['s'], onRequest: (r, send) => send({ reply: { id: r.id, read: { data: Buffer.from('forged'), size: 6, offset: 0 } } }) });
    const status = await impostor.ended;
    impostor.close();
    expect(status?.details).toMatch(/UNAUTHENTICATED: node "real" is enrolled/);
  }
  // The real node was never dropped, and reads come from it.
  expect(real.count(/hub unreachable/)).toBe(0);
  const read = await mesh.hub.call({ op: 'cat', session: 's', path: 'truth.txt', node: 'real' });
  expect(read[0].value.data).toBe('the real content\n');
});

it('an id whose node died before keeping its credential may enrol again; a confirmed one may not', async () => {
  const mesh = await fixture.mesh();
  // Enrols, never confirms, goes away: as a node killed before its credential reached its disk.
  const lost = fixture.hostile({ port: mesh.port, nodeId: 'fragile', token: 'test-token' });
  const first = (await lost.waitFrame('welcome')).welcome.credential;
  expect(first).toMatch(/^mesh_/);
  // While that enrolling stream is open, nobody else gets the id.
  const early = fixture.hostile({ port: mesh.port, nodeId: 'fragile', token: 'test-token' });
  expect((await early.ended)?.details).toMatch(/is enrolled/);
  early.close();
  lost.close();
  await eventually(() => mesh.hub.lines.some((l) => l.includes('"node":"fragile"') && l.includes('node detached')));

  const again = fixture.hostile({ port: mesh.port, nodeId: 'fragile', token: 'test-token' });
  const second = (await again.waitFrame('welcome')).welcome.credential;
  expect(second).toMatch(/^mesh_/);
  expect(second).not.toBe(first);
  // The lost credential no longer works.
  const stale = fixture.hostile({ port: mesh.port, nodeId: 'fragile', token: first });
  expect((await stale.ended)?.details).toMatch(/UNAUTHENTICATED: unknown token/);
  stale.close();
  // Confirmed: from now on the shared token is refused for this id, attached or not.
  again.send({ enrolled: {} });
  await mesh.hub.waitFor((l) => l.includes('enrolment confirmed') && l.includes('"node":"fragile"'));
  again.close();
  await eventually(() => mesh.hub.lines.filter((l) => l.includes('"node":"fragile"') && l.includes('node detached')).length >= 2);
  const late = fixture.hostile({ port: mesh.port, nodeId: 'fragile', token: 'test-token' });
  expect((await late.ended)?.details).toMatch(/is enrolled/);
  late.close();
});

it('an impostor cannot fetch the real node\'s transfer', async () => {
  const mesh = await fixture.mesh();
  await mesh.startNode({ id: 'slow', sessions: ['s'], rate: 1 * MiB });
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), randomBytes(12 * MiB));
  mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 's');
  const impostor = fixture.hostile({ port: mesh.port, nodeId: 'other', token: 'test-token' });
  try {
    await impostor.waitFrame('welcome');
    // Enrolled as "other", it asks for "slow"'s transfer with the shared token as "slow": refused at the door.
    const thief = fixture.hostile({ port: mesh.port, nodeId: 'slow', token: 'test-token' });
    const stream = thief.fetchPaused(transferId);
    const err = await new Promise<any>((resolve) => stream.on('error', resolve));
    thief.close();
    expect(err.details).toMatch(/UNAUTHENTICATED/);
  } finally {
    impostor.close();
  }
});

it('a node restarted without any token attaches with its credential; `token reset` lets a reinstalled node enrol again', async () => {
  const mesh = await fixture.mesh();
  const first = await mesh.startNode({ id: 'n1', sessions: ['s'] });
  await first.waitFor(/enrolled/);
  await first.kill('SIGTERM');
  const again = startNodeProc({ id: 'n1', workspace: mesh.workspace('n1'), hubPort: mesh.port, sessions: ['s'], token: null });
  await waitAttached(again);
  await again.kill('SIGTERM');

  // Reinstalled: a fresh workspace, only the shared token. Refused until an operator resets the id.
  const reinstalled = startNodeProc({ id: 'n1', workspace: path.join(mesh.root, 'ws-n1-new'), hubPort: mesh.port, sessions: ['s'] });
  await reinstalled.waitFor(/node \\"n1\\" is enrolled/);
  await tokenCli(mesh.dataDir, 'reset', 'n1');
  await waitAttached(reinstalled, 1, 40_000);
  await eventually(() => reinstalled.count(/enrolled: this node now attaches with its own credential/) === 1);
}, 90_000);
