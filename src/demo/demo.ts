// `mesh-assistant demo`: a hub and three local nodes in a temp folder, driven
// by a scripted MCP client through the tools, with a readable transcript:
// a write lands on every node, a push shows its progress while a node on a
// slow link delays nobody, a skill is promoted into the library. Everything
// it started is stopped and its folder removed, whatever happens.
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MeshError } from '../errors.js';
import { contentHashOf } from '../mesh/fs/content-hash.js';
import { progressBar, shortBytes } from '../ops/tables.js';
import { startDemoMesh, until, type DemoMesh } from './demo-mesh.js';

export interface DemoOptions {
  /** Where the transcript goes. */
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Size of the pushed file, bytes. Default 8 MiB. */
  pushBytes?: number;
  /** Rate of the slow node's link, bytes per second. Default 1 MiB/s. */
  slowBytesPerSecond?: number;
}

const NODES = ['laptop', 'server', 'slow-pi'] as const;
const SLOW = 'slow-pi';
const MiB = 1024 * 1024;

const SKILL_MD = `---
name: greet
description: Greets whoever asks, by name.
---
# greet

Say hello to the user by name.
`;

type Status = { sessions: Array<{ name: string; members: Array<{ node: string; online: boolean }> }>; transfers: Array<{ transferId: string; path: string; nodes: Array<{ node: string; state: string; bytes: number }> }> };

function structured<T>(result: CallToolResult, tool: string): T {
  if (result.isError) {
    const first = result.content[0];
    throw new MeshError('INTERNAL', `demo: ${tool} failed: ${first?.type === 'text' ? first.text : 'no text'}`);
  }
  return result.structuredContent as T;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const out = options.out;
  const say = (line = '') => out.write(`${line}\n`);
  const pushBytes = options.pushBytes ?? 8 * MiB;
  const slowRate = options.slowBytesPerSecond ?? MiB;
  const started = Date.now();
  const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

  const mesh = await startDemoMesh();
  // Ctrl-C in the middle still stops the nodes and removes the folder.
  const interrupted = () => void mesh.close().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const call = async <T>(name: string, args: Record<string, unknown> = {}, extra: Parameters<DemoMesh['client']['callTool']>[2] = {}) =>
    structured<T>((await mesh.client.callTool({ name, arguments: args }, undefined, { timeout: 120_000, ...extra })) as CallToolResult, name);
  try {
    say(`Mesh Assistant demo: a hub and ${NODES.length} nodes in ${mesh.root}`);
    say();
    say(`[1/6] Hub up (MCP on stdio, driven by this demo). Attaching nodes ${NODES.join(', ')} (${SLOW} behind a ${shortBytes(slowRate)}/s link)`);
    for (const id of NODES) await mesh.startNode(id, id === SLOW ? { bytesPerSecond: slowRate } : {});
    await until('3 nodes online', async () => {
      const s = await call<Status>('status');
      return (s.sessions.find((x) => x.name === 'demo')?.members.filter((m) => m.online).length ?? 0) === NODES.length;
    });
    say(`      ok: ${NODES.length} nodes online in session "demo" after ${seconds(started)}`);

    say('[2/6] status');
    const s = await call<Status>('status');
    for (const session of s.sessions) say(`      session ${session.name}: ${session.members.map((m) => `${m.node} (${m.online ? 'online' : 'offline'})`).join(', ')}`);

    say('[3/6] write notes/hello.md');
    const hello = `Hello from the Mesh Assistant demo, ${new Date().toISOString()}\n`;
    const written = await call<{ outcomes: Array<{ node: string; status: string }> }>('write', { session: 'demo', path: 'notes/hello.md', content: hello });
    say(`      outcomes: ${written.outcomes.map((o) => `${o.node} ${o.status}`).join(', ')}`);
    for (const id of NODES) {
      const onDisk = await readFile(path.join(mesh.workspace(id), 'sessions', 'demo', 'notes', 'hello.md'), 'utf8');
      if (onDisk !== hello) throw new MeshError('INTERNAL', `demo: ${id} holds something else than what was written`);
    }
    say(`      ok: the file is on the disk of ${NODES.join(', ')}`);

    await pushWithProgress(mesh, call, say, out, pushBytes);

    say('[5/6] promote-skill greet');
    await call('write', { session: 'demo', path: 'skills/greet/SKILL.md', content: SKILL_MD });
    const promoted = await call<{ name: string; status: string; libraryPath: string }>('promote-skill', { session: 'demo', skill: 'greet' });
    say(`      ok: skill "${promoted.name}" ${promoted.status}; in the library at ${promoted.libraryPath}, readable as skill://greet`);
    const resource = await mesh.client.readResource({ uri: 'skill://greet' });
    const first = resource.contents[0];
    if (!first || !('text' in first) || !String(first.text).includes('name: greet')) throw new MeshError('INTERNAL', 'demo: skill://greet does not hold the skill');

    say('[6/6] ls and cat: the session on the hub mirror, then one file on every node at once');
    const listing = await call<{ results: Array<{ node: string; entries?: Array<{ name: string; type: string }> }> }>('ls', { session: 'demo', path: '.' });
    for (const r of listing.results) say(`      ${r.node}: ${(r.entries ?? []).map((e) => `${e.name}${e.type === 'file' ? '' : `/`}`).join('  ')}`);
    const read = await call<{ results: Array<{ node: string; ok: boolean; content?: string; error?: { code: string } }> }>('cat', { session: 'demo', path: 'notes/hello.md', node: '*' });
    for (const r of read.results) say(`      ${r.node}: ${r.ok ? JSON.stringify((r.content ?? '').trim()) : r.error?.code}`);
    say();
    say(`Demo finished in ${seconds(started)}. Next: \`npx mesh-assistant hub\` for a hub of your own (see the README).`);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await mesh.close();
    say('Cleaned up: every process stopped, the temp folder removed.');
  }
}

async function pushWithProgress(
  mesh: DemoMesh,
  call: <T>(name: string, args?: Record<string, unknown>, extra?: Parameters<DemoMesh['client']['callTool']>[2]) => Promise<T>,
  say: (line?: string) => void,
  out: DemoOptions['out'],
  size: number,
): Promise<void> {
  const data = randomBytes(size);
  await writeFile(path.join(mesh.sourceDir, 'big.bin'), data);
  say(`[4/6] push big.bin (${shortBytes(size)}) to every node, with progress`);
  const started = Date.now();
  const finished = new Map<string, number>();
  let slowBytesWhenFastDone: number | undefined;
  let lastPlain = -1;
  const onprogress = (p: { progress: number; total?: number; message?: string }) => {
    const total = p.total ?? 1;
    const line = `      ${progressBar(p.progress, total)}  ${p.message ?? `${shortBytes(p.progress)} of ${shortBytes(total)}`}`;
    if (out.isTTY) return void out.write(`\r${line}`);
    const quarter = Math.floor((4 * p.progress) / total);
    if (quarter > lastPlain) {
      lastPlain = quarter;
      say(line);
    }
  };
  // Watch the transfer beside the push: when does each node finish?
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const s = await call<Status>('status').catch(() => undefined);
      const t = s?.transfers.find((x) => x.path === 'big.bin');
      for (const n of t?.nodes ?? []) if (n.state === 'done' && !finished.has(n.node)) finished.set(n.node, Date.now() - started);
      if (t && slowBytesWhenFastDone === undefined && NODES.filter((id) => id !== SLOW).every((id) => finished.has(id))) {
        slowBytesWhenFastDone = t.nodes.find((n) => n.node === SLOW)?.bytes;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  let result: { sha256: string; outcomes: Array<{ node: string; status: string }> };
  try {
    result = await call('push', { session: 'demo', source: 'big.bin' }, { onprogress, resetTimeoutOnProgress: true });
  } finally {
    watching = false;
    await watcher;
  }
  // Progress reaches the total only once every node is done, which the result says, not a notification.
  const last = `      ${progressBar(size, size)}  ${NODES.length}/${NODES.length} nodes done; ${shortBytes(size)} on each`;
  if (out.isTTY) out.write(`\r${last}\n`);
  else if (lastPlain < 4) say(last);
  finished.set(SLOW, finished.get(SLOW) ?? Date.now() - started);
  say(`      outcomes: ${result.outcomes.map((o) => `${o.node} ${o.status}`).join(', ')}`);
  const fast = NODES.filter((id) => id !== SLOW).map((id) => `${id} after ${((finished.get(id) ?? 0) / 1000).toFixed(1)} s`);
  say(`      finished: ${fast.join(', ')}, ${SLOW} after ${((finished.get(SLOW) ?? 0) / 1000).toFixed(1)} s`);
  if (slowBytesWhenFastDone !== undefined) {
    say(`      the fast nodes were done while ${SLOW} had verified ${shortBytes(slowBytesWhenFastDone)} of ${shortBytes(size)}: a slow node delays nobody else`);
  }
  const sha256 = contentHashOf(data);
  if (result.sha256 !== sha256) throw new MeshError('INTERNAL', 'demo: the pushed file hash differs from the source');
  for (const id of NODES) {
    const st = await stat(path.join(mesh.workspace(id), 'sessions', 'demo', 'big.bin'));
    if (st.size !== size) throw new MeshError('INTERNAL', `demo: ${id} holds ${st.size} bytes of big.bin, not ${size}`);
  }
  say(`      ok: all ${NODES.length} nodes hold big.bin (file hash ${sha256.slice(0, 16)}...)`);
}
