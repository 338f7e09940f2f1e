// Attack: a node joins sessions it was never given. With one valid token a
// node could name any session in its hello (or a Join), and an empty
// manifest then made drift repair send it every file there. A node is now a
// member only of what its credential grants; the rest is denied while it
// stays attached, and a withdrawn grant ends the membership on open streams.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { eventually, waitAttached } from '../support/processes.js';
import { type Mesh } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';

const fixture = attackFixture();

const membersOf = async (m: Mesh, session: string): Promise<string[]> =>
  ((await m.hub.call({ op: 'status' })).sessions.find((s: any) => s.name === session)?.members ?? []).map((x: any) => x.node);

it('denies sessions the credential does not grant, keeps the node attached for the others, and never sends it their files', async () => {
  const mesh = await fixture.mesh();
  await mesh.hub.call({ op: 'write', session: 'secret', path: 'plans.txt', content: 'top secret\n' });
  const token = await mint(mesh.dataDir, 'open', 'n1');
  const n1 = await mesh.startNode({ id: 'n1', sessions: ['open', 'secret'], env: { MESH_NODE_TOKEN: token } });
  await n1.waitFor((l) => l.includes('session denied by the hub') && l.includes('"session":"secret"') && l.includes('SESSION_NOT_GRANTED'));
  expect(await membersOf(mesh, 'secret')).toEqual([]);
  expect(await membersOf(mesh, 'open')).toEqual(['n1']);

  // Still attached and served for what it is granted.
  const w = await mesh.hub.call({ op: 'write', session: 'open', path: 'ok.txt', content: 'fine\n' });
  expect(w.outcomes).toMatchObject([{ node: 'n1', status: 'ok' }]);
  expect(await readdir(path.join(mesh.workspace('n1'), 'sessions'))).toEqual(['open']);
});

it('an empty manifest and a Join for an ungranted session get nothing, and a Join flood is limited', async () => {
  const mesh = await fixture.mesh();
  await mesh.hub.call({ op: 'write', session: 'secret', path: 'plans.txt', content: 'top secret\n' });
  const token = await mint(mesh.dataDir, 'open', 'spy');
  const requests: string[] = [];
  const spy = fixture.hostile({ port: mesh.port, nodeId: 'spy', token, sessions: ['secret'], onRequest: (r) => requests.push(String(r.op)) });
  try {
    const welcome = await spy.waitFrame('welcome');
    expect(welcome.welcome.sessions).toEqual([]);
    expect(welcome.welcome.denied).toMatchObject([{ session: 'secret', error: { code: 'SESSION_NOT_GRANTED' } }]);
    spy.send({ manifest: { session: 'secret', entries: [] } });
    spy.send({ join: { id: 1, session: 'secret' } });
    const joined = await spy.waitFrame('joined');
    expect(joined.joined.error).toMatchObject({ code: 'SESSION_NOT_GRANTED' });

    // 200 joins of granted sessions in a burst: the node is limited, not the hub.
    for (let i = 0; i < 200; i++) spy.send({ join: { id: 100 + i, session: 'open' } });
    await eventually(() => spy.frames.filter((f) => f.kind === 'joined').length >= 201);
    const limited = spy.frames.filter((f) => f.kind === 'joined' && f.joined.error?.code === 'LIMIT_EXCEEDED');
    expect(limited.length).toBeGreaterThan(150);

    // Nothing of "secret" was ever offered to it.
    const status = await mesh.hub.call({ op: 'status' });
    expect(status.transfers.filter((t: any) => t.session === 'secret')).toEqual([]);
    expect(requests.filter((op) => op === 'deliver')).toEqual([]);
    expect(await membersOf(mesh, 'secret')).toEqual([]);
  } finally {
    spy.close();
  }
});

it('a withdrawn grant ends the membership on the open stream within a second; a new grant joins it again', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 'a,b', 'n1');
  const n1 = await mesh.startNode({ id: 'n1', sessions: ['a', 'b'], env: { MESH_NODE_TOKEN: token } });
  expect(await membersOf(mesh, 'b')).toEqual(['n1']);

  const started = Date.now();
  await tokenCli(mesh.dataDir, 'ungrant', 'n1', 'b');
  await n1.waitFor((l) => l.includes('the hub ended this membership') && l.includes('"session":"b"'), 5_000);
  expect(Date.now() - started).toBeLessThan(1_000 + 2_000); // poll period plus process start of the CLI
  expect(await membersOf(mesh, 'b')).toEqual([]);
  const w = await mesh.hub.call({ op: 'write', session: 'b', path: 'after.txt', content: 'not for n1\n' });
  expect(w.outcomes).toEqual([]);
  // Still attached for "a".
  expect((await mesh.hub.call({ op: 'write', session: 'a', path: 'x.txt', content: 'x\n' })).outcomes).toMatchObject([{ node: 'n1', status: 'ok' }]);
  expect(n1.count(/hub unreachable/)).toBe(0);

  await tokenCli(mesh.dataDir, 'grant', 'n1', 'b');
  await eventually(async () => (await membersOf(mesh, 'b')).includes('n1'), 5_000);
  // It gets what was written while it was out.
  await eventually(async () => (await readdir(path.join(mesh.workspace('n1'), 'sessions', 'b')).catch(() => [] as string[])).includes('after.txt'), 10_000);
});

it('a shared token carries a scope (TOKEN@a+b); nodes it enrols get exactly that', async () => {
  const mesh = await fixture.mesh({ hubArgs: ['--tokens', 'team@a+b'] });
  const n1 = await mesh.startNode({ id: 'n1', sessions: ['a', 'c'], env: { MESH_NODE_TOKEN: 'team' } });
  await n1.waitFor((l) => l.includes('session denied by the hub') && l.includes('"session":"c"'));
  expect(await membersOf(mesh, 'a')).toEqual(['n1']);
  expect(await tokenCli(mesh.dataDir, 'list')).toMatch(/\tnode n1\tn1\ta,b\t/);
  await waitAttached(n1);
});
