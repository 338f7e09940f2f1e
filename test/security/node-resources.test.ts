// Attack: one authenticated node exhausts the hub. Measured before: a hello
// naming 100,000 sessions took the hub to 1.2 GiB, 200 stalled Fetch streams
// to 0.9 GiB, an empty manifest made it stage its whole mirror again for that
// node (never reclaimed), and a 100,000-entry manifest wrote 100,000 log
// lines. Each is now bounded per node; the hub's RSS, read from /proc, grows
// by less than 64 MiB under each.
import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { eventually } from '../support/processes.js';
import { MiB, runningTransferId, waitFullyStaged, type Mesh } from '../mesh/transfer/helpers.js';
import { rssOf } from './hostile-node.js';
import { attackFixture } from './fixture.js';
import { mint, tokenCli } from './operator.js';

const BUDGET = 64 * MiB;
const fixture = attackFixture();

/** Run `attack` while sampling the hub's RSS every 50 ms; resolve with the peak growth over idle. */
async function peakGrowth(m: Mesh, attack: () => Promise<void>): Promise<number> {
  const pid = m.hub.child.pid!;
  const idle = await rssOf(pid);
  let peak = idle;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await rssOf(pid).catch(() => peak));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await attack();
    peak = Math.max(peak, await rssOf(pid));
  } finally {
    running = false;
    await sampler;
  }
  return peak - idle;
}

it('refuses a hello naming 100,000 sessions without doing the work', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, '*');
  const sessions = Array.from({ length: 100_000 }, (_, i) => `s${i}`);
  const growth = await peakGrowth(mesh, async () => {
    const h = fixture.hostile({ port: mesh.port, nodeId: 'greedy', token, sessions });
    const status = await h.ended;
    expect(status?.details).toMatch(/LIMIT_EXCEEDED: hello names 100000 sessions; the limit is 256/);
  });
  expect(growth).toBeLessThan(BUDGET);
  expect((await mesh.hub.call({ op: 'status' })).sessions).toEqual([]);
});

it('lets one node hold only a few Fetch streams; 200 stalled ones cost the hub almost nothing', async () => {
  const mesh = await fixture.mesh();
  const token = await mint(mesh.dataDir, 's');
  const h = fixture.hostile({ port: mesh.port, nodeId: 'staller', token, sessions: ['s'] });
  const welcome = await h.waitFrame('welcome');
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), randomBytes(48 * MiB));
  mesh.hub.send({ op: 'push', session: 's', source: 'big.bin' }).catch(() => {});
  const transferId = await runningTransferId(mesh.hub, 's');
  // Staged first (a push is fetchable while staged): what is measured is the streams' cost alone.
  await waitFullyStaged(mesh.hub, transferId);
  const refused: string[] = [];
  const growth = await peakGrowth(mesh, async () => {
    // Its own credential, issued at enrolment, is what a node fetches with.
    const thief = fixture.hostile({ port: mesh.port, nodeId: 'staller', token: welcome.welcome.credential });
    const streams = Array.from({ length: 200 }, () => thief.fetchPaused(transferId));
    for (const s of streams) s.on('error', (err: any) => refused.push(String(err.details)));
    await eventually(() => refused.length >= 196, 20_000);
  });
  expect(refused.every((d) => d.includes('LIMIT_EXCEEDED'))).toBe(true);
  expect(growth).toBeLessThan(BUDGET);
});

it('bounds the repairs one node can make the hub stage, and reclaims them when the node loses the session', async () => {
  const mesh = await fixture.mesh();
  for (let i = 0; i < 100; i++) await mesh.hub.call({ op: 'write', session: 's', path: `f${i}.txt`, content: `file ${i}\n` });
  const token = await mint(mesh.dataDir, 's', 'empty');
  // Claims to hold nothing, and never answers a delivery.
  const h = fixture.hostile({ port: mesh.port, nodeId: 'empty', token, sessions: ['s'] });
  await h.waitFrame('welcome');
  h.send({ manifest: { session: 's', entries: [] } });
  const staging = path.join(mesh.dataDir, 'staging');
  const staged = async () => (await readdir(staging).catch(() => [] as string[])).length;
  await eventually(async () => (await staged()) >= 64);
  await eventually(async () => mesh.hub.lines.some((l) => l.includes('"action":"deferred"')) || mesh.hub.lines.some((l) => l.includes('drift')));
  expect(await staged()).toBeLessThanOrEqual(64);

  await tokenCli(mesh.dataDir, 'ungrant', 'empty', 's');
  await eventually(async () => (await staged()) === 0, 10_000);
});

it('logs a bounded number of lines for a 100,000-entry manifest', async () => {
  const mesh = await fixture.mesh({ hubArgs: ['--drift', 'report'] });
  const token = await mint(mesh.dataDir, 's');
  const h = fixture.hostile({ port: mesh.port, nodeId: 'noisy', token, sessions: ['s'] });
  await h.waitFrame('welcome');
  const sha256 = 'a'.repeat(64);
  const entries = Array.from({ length: 100_000 }, (_, i) => ({ path: `x/${i}.bin`, size: 1, mtimeMs: 0, sha256 }));
  const before = mesh.hub.lines.length;
  h.send({ manifest: { session: 's', entries } });
  await eventually(async () => (await mesh.hub.call({ op: 'status' })).drift.length >= 50, 30_000);
  // Let the check finish: the drift events are recorded in order, the last one is the last entry's.
  await eventually(async () => (await mesh.hub.call({ op: 'status' })).drift.at(-1)?.path === 'x/99999.bin', 30_000);
  // Log lines leave in order: once a line logged after the check has arrived, every drift line has too.
  await mesh.hub.call({ op: 'write', session: 'other', path: 'marker.txt', content: 'm\n' });
  await mesh.hub.waitFor((l) => l.includes('marker.txt'), 30_000);
  const lines = mesh.hub.lines.slice(before).filter((l) => l.includes('"noisy"'));
  expect(lines.length).toBeLessThan(120);
});
