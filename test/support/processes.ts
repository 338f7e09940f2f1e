// Real hub and node agent processes for integration tests: spawned from the
// built CLI (dist/cli.js, `npm test` builds first), talking over loopback.
// Every process is killed when its test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  /** stderr lines so far (JSON logs). */
  lines: string[];
  /** Resolve when a stderr line matches, reject after timeoutMs. */
  waitFor(pattern: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Count of stderr lines matching. */
  count(pattern: RegExp): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

const live = new Set<Proc>();

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, stdio: 'pipe' | 'ignore' = 'ignore'): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, MESH_LOG_LEVEL: 'debug', ...env },
    stdio: [stdio === 'pipe' ? 'pipe' : 'ignore', stdio === 'pipe' ? 'pipe' : 'ignore', 'pipe'],
  });
  return wrapChild(child, args[0] ?? 'cli');
}

/** Track a child's stderr lines and its exit; killed by killAll(). */
export function wrapChild(child: ChildProcess, label: string): Proc {
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      lines.push(line);
      if (process.env.MESH_TEST_ECHO) process.stderr.write(`[${label}] ${line}\n`);
      for (const w of [...watchers]) w(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    child,
    lines,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      const test = typeof pattern === 'function' ? pattern : (l: string) => pattern.test(l);
      const found = lines.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}; last lines:\n${lines.slice(-8).join('\n')}`));
        }, timeoutMs);
        const watch = (line: string) => {
          if (!test(line)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(line);
        };
        watchers.add(watch);
        exited.then(() => {
          if (!watchers.has(watch)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          reject(new Error(`process exited while waiting for ${String(pattern)}; last lines:\n${lines.slice(-8).join('\n')}`));
        });
      });
    },
    count(pattern) {
      return lines.filter((l) => pattern.test(l)).length;
    },
    async kill(signal = 'SIGTERM') {
      live.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  return proc;
}

/** Kill every process spawned by this file (call from afterAll/afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill('SIGKILL')));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix = 'mesh-test-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface HubProcOptions {
  dataDir: string;
  grpcPort: number;
  tokens?: string[];
  storeUrl?: string;
  extraArgs?: string[];
  env?: Record<string, string | undefined>;
  stdio?: 'pipe' | 'ignore';
}

export async function startHubProc(options: HubProcOptions): Promise<Proc> {
  const args = ['hub', '--no-http', '--data', options.dataDir, '--grpc', `127.0.0.1:${options.grpcPort}`, ...(options.extraArgs ?? [])];
  if (options.storeUrl) args.push('--store', options.storeUrl);
  const hub = spawnCli(args, { MESH_NODE_TOKENS: (options.tokens ?? ['test-token']).join(','), ...options.env }, options.stdio);
  await hub.waitFor(/"msg":"hub ready"/);
  return hub;
}

export interface NodeProcOptions {
  id: string;
  workspace: string;
  hubPort: number;
  sessions?: string[];
  token?: string | null;
  extraArgs?: string[];
  env?: Record<string, string | undefined>;
}

/** Start a node agent; does not wait for it to attach (use waitAttached). */
export function startNodeProc(options: NodeProcOptions): Proc {
  const args = ['node', '--hub', `127.0.0.1:${options.hubPort}`, '--id', options.id, '--workspace', options.workspace, '--scan-interval', '500'];
  for (const s of options.sessions ?? []) args.push('--session', s);
  args.push(...(options.extraArgs ?? []));
  const token = options.token === undefined ? 'test-token' : options.token;
  return spawnCli(args, { MESH_NODE_TOKEN: token ?? undefined, ...options.env });
}

/** Wait for the n-th "attached" log line of a node (1 = first attach). */
export function waitAttached(node: Proc, nth = 1, timeoutMs = 20_000): Promise<string> {
  let seen = 0;
  return node.waitFor((l) => l.includes('"msg":"attached"') && ++seen >= nth, timeoutMs);
}

/** Poll until `check` returns a truthy value (bounded by timeoutMs). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface HubDriver extends Proc {
  grpc: string;
  /** The MCP URL and its bearer token when the driver was started with --http. */
  http?: { url: string; token: string };
  /** Send a command and await its answer. */
  call<T = any>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Send a command without waiting (e.g. a push that the test interrupts). */
  send(cmd: Record<string, unknown>): Promise<any>;
}

const DRIVER = fileURLToPath(new URL('./hub-driver.ts', import.meta.url));

/** A hub driven over stdin/stdout (see hub-driver.ts); `call` rejects with the MeshError JSON. */
export async function startHubDriver(args: string[], env: Record<string, string | undefined> = {}): Promise<HubDriver> {
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, ...args], {
    env: { ...process.env, MESH_LOG_LEVEL: 'debug', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Reuse the Proc machinery for stderr by wrapping the child.
  const proc = wrapChild(child, 'hub');
  let nextId = 1;
  const waiting = new Map<number, { resolve(v: any): void; reject(e: any): void }>();
  let ready: (msg: { grpc: string; http?: string; httpToken?: string }) => void;
  const readyP = new Promise<{ grpc: string; http?: string; httpToken?: string }>((r) => (ready = r));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const msg = JSON.parse(out.slice(0, i));
      out = out.slice(i + 1);
      if (msg.ready) ready(msg);
      const w = waiting.get(msg.id);
      if (!w) continue;
      waiting.delete(msg.id);
      if (msg.error) w.reject(msg.error);
      else w.resolve(msg.result);
    }
  });
  const send = (cmd: Record<string, unknown>) => {
    const id = nextId++;
    const p = new Promise<any>((resolve, reject) => waiting.set(id, { resolve, reject }));
    child.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    return p;
  };
  const info = await Promise.race([
    readyP,
    proc.exited.then((code) => {
      throw new Error(`hub driver exited (${code}) before ready:\n${proc.lines.slice(-10).join('\n')}`);
    }),
  ]);
  return Object.assign(proc, {
    grpc: info.grpc,
    http: info.http && info.httpToken ? { url: info.http, token: info.httpToken } : undefined,
    send,
    call: (cmd: Record<string, unknown>, timeoutMs = 60_000) =>
      Promise.race([
        send(cmd),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`hub driver: ${String(cmd.op)} timed out`)), timeoutMs).unref()),
      ]),
  }) as HubDriver;
}
