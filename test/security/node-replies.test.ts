// Attack: a node answers the hub's requests with more than was asked (15 MiB
// for a 16-byte read, 150,000 entries for a listing, names with separators).
// The hub now checks every reply against its request and drops what breaks
// the protocol, so nothing unchecked reaches an MCP client.
import { expect, it } from 'vitest';
import { MiB } from '../mesh/transfer/helpers.js';
import { attackFixture } from './fixture.js';
import { mint } from './operator.js';

const fixture = attackFixture();

it('drops oversized, overlong and malformed replies with NODE_REPLY_INVALID', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 's', 'liar');
  let listing: unknown[] = [];
  const liar = fixture.hostile({
    port: mesh.port,
    nodeId: 'liar',
    token,
    sessions: ['s'],
    onRequest: (r, send) => {
      if (r.op === 'read') send({ reply: { id: r.id, read: { data: Buffer.alloc(15 * MiB, 1), size: 20 * MiB, offset: 0 } } });
      if (r.op === 'list') send({ reply: { id: r.id, list: { entries: listing as never } } });
    },
  });
  await liar.waitFrame('welcome');

  await expect(mesh.hub.call({ op: 'cat', session: 's', path: 'small.txt', node: 'liar' })).rejects.toMatchObject({ code: 'NODE_REPLY_INVALID' });
  listing = Array.from({ length: 150_000 }, (_, i) => ({ name: `f${i}`, type: 'file', size: 1, mtimeMs: 0 }));
  await expect(mesh.hub.call({ op: 'ls', session: 's', path: '.', node: 'liar' })).rejects.toMatchObject({ code: 'NODE_REPLY_INVALID' });
  listing = [{ name: '../../etc/passwd', type: 'file', size: 1, mtimeMs: 0 }];
  await expect(mesh.hub.call({ op: 'ls', session: 's', path: '.', node: 'liar' })).rejects.toMatchObject({ code: 'NODE_REPLY_INVALID' });
  listing = [{ name: 'ok.txt', type: 'file', size: 1, mtimeMs: 0 }];
  const ok = await mesh.hub.call({ op: 'ls', session: 's', path: '.', node: 'liar' });
  expect(ok[0].value.entries.map((e: any) => e.name)).toEqual(['ok.txt']);
});
