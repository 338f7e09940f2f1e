// Child processes for benchmarks: start them, wait for a line they print,
// measure their memory and CPU time from /proc, and never leave one behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MeshError } from '../../src/errors.js';

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Every line printed so far on stdout and stderr (capped at the last 2,000). */
  lines: string[];
  /** Resolves with the first line (past or future) matching `pattern`; rejects after `timeoutMs` (default 30,000) or on exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kill the whole process group (the child and anything it started); resolves on exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<BenchProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A benchmark interrupted halfway must not leave receivers or daemons running.
  const killAll = (): void => {
    for (const p of live) killGroup(p.pid, 'SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export interface StartOptions {
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (to send commands); default false. */
  stdin?: boolean;
}

/** Start `command` in its own process group so that `kill()` reaches its children too. */
export function startProcess(command: string, args: string[], options: StartOptions = {}): BenchProcess {
  installExitHook();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new MeshError('INTERNAL', `could not start ${command}`);
  const pid = child.pid;
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
      for (const w of waiters) w(line);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal })); // after stdio is drained, so no line is lost
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  const proc: BenchProcess = {
    name: options.name ?? path.basename(command),
    child,
    pid,
    lines,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      for (const line of lines) {
        const m = line.match(pattern);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(onLine);
        };
        const onLine = (line: string): void => {
          const m = line.match(pattern);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new MeshError('NODE_TIMEOUT', `${proc.name}: no line matching ${pattern} within ${timeoutMs} ms; last output:\n${lines.slice(-10).join('\n')}`));
        }, timeoutMs);
        waiters.add(onLine);
        void exited.then(({ code, signal }) => {
          if (!waiters.has(onLine)) return;
          done();
          reject(new MeshError('INTERNAL', `${proc.name} exited (code ${code}, signal ${signal}) before printing ${pattern}; last output:\n${lines.slice(-10).join('\n')}`));
        });
      });
    },
    async kill(signal = 'SIGTERM') {
      killGroup(pid, signal);
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

/** Start a TypeScript script with the same Node.js binary, loading tsx. */
export function startTsScript(script: string, args: string[], options: StartOptions = {}): BenchProcess {
  return startProcess(process.execPath, ['--import', 'tsx', script, ...args], { name: path.basename(script), ...options });
}

export interface RssSampler {
  /** Stop sampling; returns the peaks seen, in bytes. VmHWM is the kernel's own high-water mark. */
  stop(): Promise<{ peakRssBytes: number; vmHwmBytes: number; samples: number }>;
}

async function readStatusKiB(pid: number): Promise<{ rss: number; hwm: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return null; // the process has exited
  }
}

/** Sample a process's resident memory every `intervalMs` (default 100) from /proc/<pid>/status. */
export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peakRss = 0;
  let hwm = 0;
  let samples = 0;
  const take = async (): Promise<void> => {
    const s = await readStatusKiB(pid);
    if (!s) return;
    samples++;
    peakRss = Math.max(peakRss, s.rss * 1024);
    hwm = Math.max(hwm, s.hwm * 1024);
  };
  const timer = setInterval(() => void take(), intervalMs);
  void take();
  return {
    async stop() {
      clearInterval(timer);
      await take();
      return { peakRssBytes: peakRss, vmHwmBytes: hwm, samples };
    },
  };
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // the value on every mainstream Linux build
    }
  }
  return clockTicks;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export async function cpuTimeMs(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

export interface Workspace {
  dir: string;
  /** True when the folder is on /dev/shm (RAM), so disk speed does not enter the figure. */
  tmpfs: boolean;
  cleanup(): Promise<void>;
}

/** A fresh temporary folder, on /dev/shm when `useTmpfs` and it exists. */
export async function tmpWorkspace(useTmpfs: boolean, prefix = 'mesh-bench-'): Promise<Workspace> {
  const onShm = useTmpfs && existsSync('/dev/shm');
  const dir = await mkdtemp(path.join(onShm ? '/dev/shm' : os.tmpdir(), prefix));
  return { dir, tmpfs: onShm, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A TCP port free on 127.0.0.1 right now (another process may still take it before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolve once something accepts connections on host:port; poll every 50 ms up to `timeoutMs` (default 10,000). */
export async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new MeshError('NODE_TIMEOUT', `nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}
