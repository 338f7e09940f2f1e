// What the fault suite sees from outside the processes under test: the files
// in a folder with their SHA-256, temp files left behind, and an strace
// attached to a running process (to inject a failing system call or to
// record the order of the calls it makes).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../support/processes.js';
import { sha256File } from '../mesh/transfer/helpers.js';
import type { Observed } from './model.js';

/** Every regular file below `root` (relative path -> SHA-256), temp files excluded; a missing root is empty. */
export async function observeFiles(root: string): Promise<Observed> {
  const out: Observed = new Map();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 16) return; // bounded: the suite never nests deeper
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && !isTempName(e.name)) {
        const sha = await sha256File(full).catch(() => undefined);
        if (sha !== undefined) out.set(path.relative(root, full), sha);
      }
    }
  };
  await walk(root, 0);
  return out;
}

/** A name the mesh uses for a file that must not outlive its operation. */
export function isTempName(name: string): boolean {
  return /\.(tmp|part)-[0-9a-f]+$/.test(name);
}

/** Temp and part files anywhere below `root` (paths relative to it). */
export async function tempFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 16) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (isTempName(e.name)) found.push(path.relative(root, full));
    }
  };
  await walk(root, 0);
  return found;
}

export interface AttachedStrace {
  child: ChildProcess;
  /** Detach (the traced process runs on untouched) and return the trace text. */
  detach(): Promise<string>;
}

/**
 * Attach strace to every thread of a running process. `args` are strace
 * options (-e inject=..., -e trace=...). Resolves once strace reports the
 * threads attached, so what follows runs traced.
 */
export async function attachStrace(pid: number, outFile: string, args: string[]): Promise<AttachedStrace> {
  const child = spawn('strace', ['-f', '-y', '-tt', '-s', '512', '-o', outFile, ...args, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // strace names each thread as it attaches; wait until the count stops growing.
  let last = -1;
  await eventually(() => {
    const n = (stderr.match(/attached/g) ?? []).length;
    if (child.exitCode !== null) throw new Error(`strace exited: ${stderr}`);
    const settled = n > 0 && n === last;
    last = n;
    return settled;
  }, 10_000, 150);
  return {
    child,
    async detach() {
      child.kill('SIGINT'); // strace detaches its tracees and exits
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
      return readFile(outFile, 'utf8').catch(() => '');
    },
  };
}
