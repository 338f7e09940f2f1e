// A node answers a request late, after its control stream was replaced (it
// re-attached meanwhile): that reply must never be taken for the answer to a
// request of the new stream. Request ids used to restart at 1 on every stream,
// so a late `list` reply answered the next `ls` on that node (found by
// path-swap-race: a `cat` got a failed delivery's error as its result).
import { expect, it } from 'vitest';
import type { Request } from '../../src/mesh/protocol/frames.js';
import { eventually } from '../support/processes.js';
import { attackFixture } from './fixture.js';
import { mint } from './operator.js';

const fixture = attackFixture();

it("a reply sent for a request of the node's previous stream answers nothing on the new one", async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 's', 'late');
  // First stream: the node takes an `ls` request and does not answer it before its stream goes.
  let old: Request | undefined;
  const first = fixture.hostile({ port: mesh.port, nodeId: 'late', token, sessions: ['s'], onRequest: (r) => r.op === 'list' && (old = r) });
  await first.waitFrame('welcome');
  const unanswered = mesh.hub.call({ op: 'ls', session: 's', path: '.', node: 'late' }).catch((err: unknown) => err);
  await eventually(() => old !== undefined, 10_000);
  first.close();
  expect(await unanswered).toMatchObject({ code: 'NODE_OFFLINE' });

  // Second stream: before answering each new `list`, the node sends its late answer to the old one.
  const second = fixture.hostile({
    port: mesh.port,
    nodeId: 'late',
    token,
    sessions: ['s'],
    onRequest: (r, send) => {
      if (r.op !== 'list') return;
      send({ reply: { id: old!.id, list: { entries: [{ name: 'stale.txt', type: 'file', size: 1, mtimeMs: 0 }] as never } } });
      send({ reply: { id: r.id, list: { entries: [{ name: 'fresh.txt', type: 'file', size: 1, mtimeMs: 0 }] as never } } });
    },
  });
  await second.waitFrame('welcome');
  const now = await mesh.hub.call({ op: 'ls', session: 's', path: '.', node: 'late' });
  expect(now[0].value.entries.map((e: any) => e.name)).toEqual(['fresh.txt']);
});
