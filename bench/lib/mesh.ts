// A hub and real node agent processes for the hub scenarios: the hub runs
// test/support/hub-driver.ts (driven over stdin), node agents run the built CLI
// (dist/cli.js; `npm run bench` builds it first). Every process is in its own
// process group and killed by lib/proc.ts even when a scenario fails.
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MeshError } from '../../src/errors.js';
import { freePort, startProcess, type BenchProcess } from './proc.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
const DRIVER = path.join(REPO, 'test', 'support', 'hub-driver.ts');
/** The node token every bench hub accepts. */
export const BENCH_TOKEN = 'bench-token';

export interface BenchHub {
  proc: BenchProcess;
  pid: number;
  grpcPort: number;
  /** `http://127.0.0.1:<port>/mcp` when started with `http: true`. */
  mcpUrl?: string;
  /** The bearer token `mcpUrl` asks for (from the hub's data folder). */
  mcpToken?: string;
  /** Send a command; resolves with its result, rejects with the MeshError JSON or after `timeoutMs` (default 600,000). */
  call<T = any>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Like call, but also returns the command id (to cancel a push by it). */
  send<T = any>(cmd: Record<string, unknown>, timeoutMs?: number): { id: number; result: Promise<T> };
  /** Graceful stop (closes stdin); SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface BenchHubOptions {
  dataDir: string;
  sourceRoots?: string[];
  /** Reuse a port (a restarted hub); default a free one. */
  grpcPort?: number;
  http?: boolean;
  /** Write a V8 CPU profile of the hub into this folder when it stops (default: $MESH_BENCH_CPU_PROF). */
  cpuProfDir?: string;
  /** Node.js flags for the hub process (MESH_BENCH_HUB_FLAGS adds more, space-separated, e.g. "--trace-gc"). */
  nodeFlags?: string[];
  /** Default 'report': benchmarks delete node copies between runs. */
  drift?: 'repair' | 'report';
}

function requireBuild(): void {
  if (!existsSync(CLI)) throw new MeshError('NOT_FOUND', `${CLI} is missing: run \`npm run build\` (npm run bench does it)`);
}

export async function startBenchHub(options: BenchHubOptions): Promise<BenchHub> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const cpuProfDir = options.cpuProfDir ?? process.env.MESH_BENCH_CPU_PROF;
  await mkdir(options.dataDir, { recursive: true });
  const extraFlags = process.env.MESH_BENCH_HUB_FLAGS?.split(' ').filter(Boolean) ?? [];
  const args = [
    ...(options.nodeFlags ?? []),
    ...extraFlags,
    ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : []),
    '--import',
    'tsx',
    DRIVER,
    '--data',
    options.dataDir,
    '--grpc',
    `127.0.0.1:${grpcPort}`,
    ...(options.sourceRoots ?? []).flatMap((r) => ['--source-root', r]),
    ...(options.http ? ['--http', '127.0.0.1:0'] : []),
    // Benchmarks delete node copies between runs; repairing them would add traffic nobody asked for.
    '--drift',
    options.drift ?? 'report',
    '--tokens',
    BENCH_TOKEN,
  ];
  const proc = startProcess(process.execPath, args, {
    name: 'hub',
    stdin: true,
    cwd: REPO,
    env: { ...process.env, MESH_LOG_LEVEL: 'info' },
  });
  // MESH_BENCH_HUB_LOG=<file>: keep everything the hub prints (logs, --trace-gc) for a post-mortem.
  const logFile = process.env.MESH_BENCH_HUB_LOG;
  if (logFile) {
    const out = createWriteStream(logFile, { flags: 'a' });
    proc.child.stdout!.pipe(out, { end: false });
    proc.child.stderr!.pipe(out, { end: false });
  }
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let ready: ((info: { http?: string; httpToken?: string }) => void) | undefined;
  const readyP = new Promise<{ http?: string; httpToken?: string }>((r) => (ready = r));
  createInterface({ input: proc.child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const msg = JSON.parse(line) as { id?: number; ready?: boolean; http?: string; httpToken?: string; result?: unknown; error?: unknown };
    if (msg.ready) ready?.({ http: msg.http, httpToken: msg.httpToken });
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.error) w.reject(msg.error);
    else w.resolve(msg.result);
  });
  void proc.exited.then(({ code, signal }) => {
    for (const w of waiting.values()) w.reject(new MeshError('INTERNAL', `hub exited (code ${code}, signal ${signal})`));
    waiting.clear();
  });
  let nextId = 1;
  const send = <T>(cmd: Record<string, unknown>, timeoutMs = 600_000): { id: number; result: Promise<T> } => {
    const id = nextId++;
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new MeshError('NODE_TIMEOUT', `hub: ${String(cmd.op)} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
    proc.child.stdin!.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return { id, result };
  };
  const info = await Promise.race([
    readyP,
    proc.exited.then(({ code }) => {
      throw new MeshError('INTERNAL', `hub exited (${code}) before it was ready:\n${proc.lines.slice(-10).join('\n')}`);
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new MeshError('NODE_TIMEOUT', 'hub not ready after 30 s')), 30_000).unref()),
  ]);
  return {
    proc,
    pid: proc.pid,
    grpcPort,
    mcpUrl: info.http,
    mcpToken: info.httpToken,
    call: <T>(cmd: Record<string, unknown>, timeoutMs?: number) => send<T>(cmd, timeoutMs).result,
    send,
    async stop() {
      proc.child.stdin!.end();
      const timer = setTimeout(() => void proc.kill('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

export interface BenchNodeOptions {
  id: string;
  workspace: string;
  /** HOST:PORT to dial: the hub, or a throttling proxy in front of it. */
  hub: string;
  sessions: string[];
  /** More CLI arguments; a repeated option overrides the default above it. */
  extraArgs?: string[];
  /** Run the agent at the lowest CPU priority (lowerSessionPriority); default: MESH_BENCH_NICE_NODES=1. */
  nice?: boolean;
}

/** A node agent process (the built CLI) with manifest rescans off, so only transfers cost CPU. */
/**
 * For a node behind a proxy that stands for its whole link: keep its Fetch
 * streams on that link (the main connection) instead of the hub's fetch port.
 */
export const FETCH_ON_LINK = ['--hub-fetch', 'off'];

export function startBenchNode(options: BenchNodeOptions): BenchProcess {
  requireBuild();
  const prof = process.env.MESH_BENCH_NODE_CPU_PROF;
  const args = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), CLI, 'node', '--hub', options.hub, '--id', options.id, '--workspace', options.workspace, '--scan-interval', '0'];
  for (const s of options.sessions) args.push('--session', s);
  args.push(...(options.extraArgs ?? []));
  const nice = options.nice ?? process.env.MESH_BENCH_NICE_NODES === '1';
  const node = startProcess(nice ? 'nice' : process.execPath, nice ? ['-n', '19', process.execPath, ...args] : args, {
    name: options.id,
    env: { ...process.env, MESH_NODE_TOKEN: BENCH_TOKEN, MESH_LOG_LEVEL: 'info' },
  });
  if (nice) lowerSessionPriority(node.pid);
  return node;
}

/**
 * MESH_BENCH_NICE_NODES=1 runs agents at the lowest CPU priority: on one
 * small machine that tells the hub's own stalls from CPU taken by nodes
 * that, in a real mesh, run on other machines. Each agent starts a session
 * of its own (startProcess), and with Linux's autogroup scheduling a
 * session's nice value is what weighs against the hub's: `nice -n 19` on
 * the process alone changes nothing outside its one-process group, so the
 * group's is lowered too.
 */
function lowerSessionPriority(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, '19');
  } catch {
    // no autogroup scheduling here: the process's own nice value is what counts
  }
}

/** Wait until every node printed its n-th "attached" line (default the first). */
export async function waitAttached(nodes: BenchProcess[], timeoutMs = 30_000): Promise<void> {
  await Promise.all(nodes.map((n) => n.waitForLine(/"msg":"attached"/, timeoutMs)));
}

/** Escape text for use inside a RegExp. */
function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Delivered {
  /** performance.now() when the bench saw the line. */
  at: number;
  fetchedBytes: number;
  resumedFromChunk: number;
}

/** Resolve when `node` logs the "delivered" line of `destPath` (a unique name per push). */
export async function waitDelivered(node: BenchProcess, destPath: string, timeoutMs = 600_000): Promise<Delivered> {
  const m = await node.waitForLine(new RegExp(`"path":"${escapeRe(destPath)}".*"msg":"delivered"`), timeoutMs);
  const at = performance.now();
  const rec = JSON.parse(m.input!) as { fetchedBytes: number; resumedFromChunk: number };
  return { at, fetchedBytes: rec.fetchedBytes, resumedFromChunk: rec.resumedFromChunk };
}

/** Stop every process given (SIGTERM, SIGKILL after 5 s; process groups), ignoring ones already gone. */
export async function killAll(procs: Array<{ kill(signal?: NodeJS.Signals): Promise<void> } | undefined>): Promise<void> {
  await Promise.all(procs.map((p) => p?.kill('SIGTERM').catch(() => {})));
}

/** Stop what a scenario started, whatever happened to it: the nodes first, then the hub. */
export async function stopMesh(nodes: BenchProcess[], hub: BenchHub | undefined): Promise<void> {
  await killAll(nodes);
  await hub?.stop().catch(() => {});
  await killAll([hub?.proc]);
}

export interface PushOutcome {
  node: string;
  status: string;
  error?: { code: string; message: string };
}

/** Throw unless every node's outcome is ok. */
export function expectAllOk(outcomes: PushOutcome[], what: string): void {
  const bad = outcomes.filter((o) => o.status !== 'ok');
  if (bad.length > 0) throw new MeshError('TRANSFER_FAILED', `${what}: ${bad.map((o) => `${o.node} ${o.status} ${o.error?.message ?? ''}`).join('; ')}`);
}
