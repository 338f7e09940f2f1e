// Fault kind "abuse": the hostile-node and hostile-path attacks of
// test/security, run against one live mesh, one after another, each counted
// as a fault. A fault survives when the attack is refused with the expected
// code AND, checked after it, nothing leaked or was lost: the hub still runs,
// the honest node is still attached and gets a new write, the canary files
// outside every session are byte-for-byte as they were, no session appeared
// that nobody granted, and no hostile node was ever sent a delivery.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../support/processes.js';
import { MiB, startMesh, type Mesh } from '../mesh/transfer/helpers.js';
import { connectHostile, type HostileNode, type HostileOptions } from '../security/hostile-node.js';
import { mint } from '../security/operator.js';
import type { FaultResult } from './model.js';
import { contentHashOf } from '../../src/mesh/fs/content-hash.js';

export interface AbuseOptions {
  log: (line: string) => void;
}

const SESSION = 's';
const HONEST = 'n0';
const MARK = `CANARY-${randomBytes(6).toString('hex')}`;

interface World {
  mesh: Mesh;
  outside: string;
  canary: string;
  /** Delivery requests any hostile node received (must stay empty). */
  deliveries: string[];
  hostiles: HostileNode[];
  sessions: Set<string>;
}

type Attack = (w: World) => Promise<string[]>;

/** The mesh's file hash (content hash), as the observer reads it back from disk. */
const sha = (b: Buffer | string) => contentHashOf(b);
const codeOf = (err: unknown): string => (err as { code?: string } | null)?.code ?? `no code (${String((err as Error)?.message ?? err).slice(0, 200)})`;

/** The call must fail with one of `codes`; anything else (success included) is a finding. */
async function refused(what: string, call: Promise<unknown>, codes: string[]): Promise<string[]> {
  try {
    const value = await call;
    const text = JSON.stringify(value);
    return [`${what}: accepted${text.includes(MARK) ? ' and returned canary bytes' : ''}`];
  } catch (err) {
    return codes.includes(codeOf(err)) ? [] : [`${what}: failed with ${codeOf(err)}, expected ${codes.join(' or ')}`];
  }
}

/** A hostile node; a delivery for a session it was not granted (`granted`, default: what its hello names) is recorded as a leak. */
function hostile(w: World, options: Omit<HostileOptions, 'port' | 'onRequest'> & { onRequest?: HostileOptions['onRequest']; granted?: string[] }): HostileNode {
  const granted = new Set(options.granted ?? options.sessions ?? []);
  const h = connectHostile({
    ...options,
    port: w.mesh.port,
    onRequest: (r, send) => {
      if (r.op === 'deliver' && !granted.has(r.deliver?.session ?? '')) w.deliveries.push(`${options.nodeId}: ${r.deliver?.session}/${r.deliver?.path}`);
      options.onRequest?.(r, send);
    },
  });
  w.hostiles.push(h);
  return h;
}

const ended = async (h: HostileNode, pattern: RegExp, what: string): Promise<string[]> => {
  const status = await Promise.race([h.ended, new Promise<'open'>((r) => setTimeout(() => r('open'), 15_000))]);
  if (status === 'open') return [`${what}: the stream stayed open`];
  return pattern.test(String(status?.details)) ? [] : [`${what}: ended with "${status?.details}", expected ${pattern}`];
};

const ATTACKS: Array<[string, Attack]> = [
  ['node: 15 MiB reply to a 16-byte read', async (w) => {
    const token = await mint(w.mesh.dataDir, SESSION, 'liar');
    const liar = hostile(w, {
      nodeId: 'liar', token, sessions: [SESSION],
      onRequest: (r, send) => {
        if (r.op === 'read') send({ reply: { id: r.id, read: { data: Buffer.alloc(15 * MiB, 1), size: 20 * MiB, offset: 0 } } });
      },
    });
    await liar.waitFrame('welcome');
    return refused('cat from liar', w.mesh.hub.call({ op: 'cat', session: SESSION, path: 'small.txt', node: 'liar' }), ['NODE_REPLY_INVALID']);
  }],
  ['node: 150,000-entry listing', async (w) => {
    const token = await mint(w.mesh.dataDir, SESSION, 'lister');
    const entries = Array.from({ length: 150_000 }, (_, i) => ({ name: `f${i}`, type: 'file', size: 1, mtimeMs: 0 }));
    const h = hostile(w, { nodeId: 'lister', token, sessions: [SESSION], onRequest: (r, send) => r.op === 'list' && send({ reply: { id: r.id, list: { entries: entries as never } } }) });
    await h.waitFrame('welcome');
    return refused('ls on lister', w.mesh.hub.call({ op: 'ls', session: SESSION, path: '.', node: 'lister' }), ['NODE_REPLY_INVALID']);
  }],
  ['node: listing names "../../etc/passwd"', async (w) => {
    const token = await mint(w.mesh.dataDir, SESSION, 'dotter');
    const entries = [{ name: '../../etc/passwd', type: 'file', size: 1, mtimeMs: 0 }];
    const h = hostile(w, { nodeId: 'dotter', token, sessions: [SESSION], onRequest: (r, send) => r.op === 'list' && send({ reply: { id: r.id, list: { entries: entries as never } } }) });
    await h.waitFrame('welcome');
    return refused('ls on dotter', w.mesh.hub.call({ op: 'ls', session: SESSION, path: '.', node: 'dotter' }), ['NODE_REPLY_INVALID']);
  }],
  ['node: hello naming 100,000 sessions', async (w) => {
    const token = await mint(w.mesh.dataDir, '*', 'greedy');
    const h = hostile(w, { nodeId: 'greedy', token, sessions: Array.from({ length: 100_000 }, (_, i) => `g${i}`), granted: [] });
    return ended(h, /LIMIT_EXCEEDED: hello names 100000 sessions/, 'greedy hello');
  }],
  ['node: impostor claims the enrolled honest id with the shared token', async (w) => {
    const before = w.mesh.nodes.get(HONEST)!.count(/hub unreachable/);
    const h = hostile(w, { nodeId: HONEST, token: 'test-token', sessions: [SESSION], granted: [], onRequest: (r, send) => send({ reply: { id: r.id, read: { data: Buffer.from(MARK), size: MARK.length, offset: 0 } } }) });
    const out = await ended(h, /UNAUTHENTICATED: node "n0" is enrolled/, 'impostor');
    if (w.mesh.nodes.get(HONEST)!.count(/hub unreachable/) !== before) out.push('the honest node was dropped');
    return out;
  }],
  ['node: random token', async (w) => {
    const h = hostile(w, { nodeId: 'nobody', token: `mesh_${randomBytes(24).toString('hex')}`, sessions: [SESSION], granted: [] });
    return ended(h, /UNAUTHENTICATED/, 'random token');
  }],
  ['node: hello names an ungranted session, then an empty manifest and a Join for it', async (w) => {
    const token = await mint(w.mesh.dataDir, 'open', 'spy');
    const spy = hostile(w, { nodeId: 'spy', token, sessions: [SESSION], granted: ['open'] });
    const welcome = await spy.waitFrame('welcome');
    const out: string[] = [];
    if (welcome.welcome.sessions.includes(SESSION)) out.push('spy was made a member of the session');
    spy.send({ manifest: { session: SESSION, entries: [] } });
    spy.send({ join: { id: 1, session: SESSION } });
    const joined = await spy.waitFrame('joined');
    if (joined.joined.error?.code !== 'SESSION_NOT_GRANTED') out.push(`join answered ${JSON.stringify(joined.joined.error)}`);
    w.sessions.add('open');
    return out;
  }],
  ['node: 200 Joins in a burst', async (w) => {
    const token = await mint(w.mesh.dataDir, 'burst', 'flooder');
    const h = hostile(w, { nodeId: 'flooder', token, sessions: [] });
    await h.waitFrame('welcome');
    for (let i = 0; i < 200; i++) h.send({ join: { id: 10 + i, session: 'burst' } });
    await eventually(() => h.frames.filter((f) => f.kind === 'joined').length >= 200, 20_000);
    const limited = h.frames.filter((f) => f.kind === 'joined' && f.joined.error?.code === 'LIMIT_EXCEEDED').length;
    w.sessions.add('burst');
    return limited > 150 ? [] : [`only ${limited} of 200 joins were limited`];
  }],
  ['path: write "../escape.txt"', async (w) =>
    refused('write ..', w.mesh.hub.call({ op: 'write', session: SESSION, path: '../escape.txt', content: MARK }), ['PATH_OUTSIDE_SESSION', 'PATH_INVALID'])],
  ['path: write "/etc/abs.txt"', async (w) =>
    refused('write absolute', w.mesh.hub.call({ op: 'write', session: SESSION, path: `${w.outside}/abs.txt`, content: MARK }), ['PATH_OUTSIDE_SESSION', 'PATH_INVALID'])],
  ['path: write a name with NUL', async (w) =>
    refused('write NUL', w.mesh.hub.call({ op: 'write', session: SESSION, path: 'a\u0000b.txt', content: MARK }), ['PATH_INVALID'])],
  ['path: cat through a link planted in the mirror to outside', async (w) => {
    await symlink(w.outside, path.join(w.mesh.dataDir, 'sessions', SESSION, 'hub-link'));
    return refused('cat via mirror link', w.mesh.hub.call({ op: 'cat', session: SESSION, path: 'hub-link/canary.txt' }), ['PATH_OUTSIDE_SESSION', 'NOT_FOUND']);
  }],
  ['path: write through a link planted in the mirror to outside', async (w) =>
    refused('write via mirror link', w.mesh.hub.call({ op: 'write', session: SESSION, path: 'hub-link/canary.txt', content: 'overwritten' }), ['PATH_OUTSIDE_SESSION'])],
  ['path: cat on the node through a link planted in its copy', async (w) => {
    await symlink(w.outside, path.join(w.mesh.workspace(HONEST), 'sessions', SESSION, 'node-link'));
    return refused('cat via node link', w.mesh.hub.call({ op: 'cat', session: SESSION, path: 'node-link/canary.txt', node: HONEST }), ['PATH_OUTSIDE_SESSION', 'NOT_FOUND']);
  }],
  ['path: push a source outside the source roots', async (w) =>
    refused('push ../', w.mesh.hub.call({ op: 'push', session: SESSION, source: path.relative(w.mesh.sourceDir, path.join(w.outside, 'canary.txt')) }), ['SOURCE_NOT_ALLOWED', 'PATH_OUTSIDE_SESSION'])],
  ['path: push a source through a link in the source root to outside', async (w) => {
    await symlink(path.join(w.outside, 'canary.txt'), path.join(w.mesh.sourceDir, 'sneaky.txt'));
    return refused('push via source link', w.mesh.hub.call({ op: 'push', session: SESSION, source: 'sneaky.txt' }), ['SOURCE_NOT_ALLOWED', 'PATH_OUTSIDE_SESSION']);
  }],
];

/** What must hold after every attack. */
async function aftermath(w: World, round: number): Promise<string[]> {
  const out: string[] = [];
  if (w.mesh.hub.child.exitCode !== null) return ['the hub died'];
  const content = `after attack ${round} ${MARK.slice(0, 4)}\n`;
  try {
    const result = await w.mesh.hub.call({ op: 'write', session: SESSION, path: `after/${round}.txt`, content }, 30_000);
    const ok = (result.outcomes as Array<{ node: string; status: string }>).find((o) => o.node === HONEST)?.status === 'ok';
    if (!ok) out.push(`the honest node did not confirm the next write: ${JSON.stringify(result.outcomes)}`);
    const copy = await readFile(path.join(w.mesh.workspace(HONEST), 'sessions', SESSION, 'after', `${round}.txt`), 'utf8').catch(() => '');
    if (copy !== content) out.push('the honest node does not hold the next write');
  } catch (err) {
    out.push(`the next write failed: ${codeOf(err)}`);
  }
  if (sha(await readFile(path.join(w.outside, 'canary.txt'))) !== w.canary) out.push('the canary outside the sessions changed');
  const outsideNames = (await readdir(w.outside)).sort().join(',');
  if (outsideNames !== 'canary.txt') out.push(`files appeared outside the sessions: ${outsideNames}`);
  if (w.deliveries.length) out.push(...w.deliveries.splice(0).map((d) => `delivery sent to a hostile node: ${d}`));
  const status = await w.mesh.hub.call({ op: 'status' }, 10_000);
  for (const s of status.sessions as Array<{ name: string; members: Array<{ node: string }> }>) {
    if (!w.sessions.has(s.name)) out.push(`session "${s.name}" appeared without a grant`);
    else if (s.name === SESSION && s.members.some((m) => !['n0', 'liar', 'lister', 'dotter'].includes(m.node))) out.push(`unexpected member of ${SESSION}: ${s.members.map((m) => m.node).join(',')}`);
  }
  return out;
}

export async function runAbuse(options: AbuseOptions): Promise<FaultResult[]> {
  const mesh = await startMesh();
  const outside = path.join(mesh.root, 'outside');
  await mkdir(outside);
  const canaryBytes = `${MARK} never leaves this folder\n`;
  await writeFile(path.join(outside, 'canary.txt'), canaryBytes);
  const w: World = { mesh, outside, canary: sha(canaryBytes), deliveries: [], hostiles: [], sessions: new Set([SESSION]) };
  const results: FaultResult[] = [];
  try {
    await mesh.startNode({ id: HONEST, sessions: [SESSION] });
    await mesh.nodes.get(HONEST)!.waitFor(/enrolled: this node now attaches with its own credential/);
    await mesh.hub.call({ op: 'write', session: SESSION, path: 'small.txt', content: 'small\n' });
    for (const [name, attack] of ATTACKS) {
      let broken: string[];
      try {
        broken = await attack(w);
      } catch (err) {
        broken = [`attack could not run: ${String((err as Error)?.stack ?? err).slice(0, 500)}`];
      }
      // Hostile members that never answer would hold the next write for its full wait: they go first.
      for (const h of w.hostiles.splice(0)) h.close();
      await eventually(async () => ((await mesh.hub.call({ op: 'status' }, 10_000)).online as string[]).every((id) => id === HONEST), 10_000).catch(() => {});
      broken.push(...(await aftermath(w, results.length)));
      results.push({ kind: 'abuse', name: `abuse ${name}`, survived: broken.length === 0, detail: broken });
      options.log(`  ${broken.length === 0 ? 'ok  ' : 'LOST'} abuse ${name}`);
    }
    return results;
  } finally {
    for (const h of w.hostiles) h.close();
    await mesh.close();
  }
}
