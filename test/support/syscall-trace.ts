// Reading an strace log (`strace -f -y -tt -e trace=...`) as an independent
// witness of durability: which fsync, rename and mkdir calls a process made,
// in which order, against which files, and when it said "done" (a marker it
// wrote to stdout). Parsing and checking are pure; `attachStrace` attaches to
// a running process to record its calls or make one kind of call fail.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from './processes.js';

/** One system call, possibly reassembled from an `<unfinished ...>` / `resumed>` pair. */
export interface Syscall {
  pid: number;
  name: string;
  /** Raw argument text (between the parentheses). */
  args: string;
  /** Raw return value text, e.g. `0`, `-1 EIO (Input/output error) (INJECTED)`, `19</tmp/x>`. */
  ret: string;
  /** Line index where the call started and where it returned (ordering key). */
  start: number;
  end: number;
  /** Path annotation of the first argument (strace -y), e.g. fsync(19</tmp/a/.x.tmp-1>). */
  fdPath?: string;
  /** Quoted string arguments, with `/proc/self/fd/N/` resolved through the fds opened so far. */
  paths: string[];
}

const LINE = /^(\d+)\s+(?:\d\d:\d\d:\d\d\.\d+\s+)?(.*)$/;
const FD_ANNOTATION = /^-?\d+<([^>]*)>/;

function quotedStrings(args: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(args)) !== null) out.push(m[1]!);
  return out;
}

/** Parse strace output; fd paths come from `-y` annotations on arguments and return values. */
export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const pending = new Map<string, { name: string; args: string; start: number }>();
  // fd -> path per traced process; threads share fds, and -f lists thread ids,
  // so one table for the whole trace is close enough for a single process tree.
  const fds = new Map<string, string>();
  const resolve = (p: string): string => {
    const m = /^\/proc\/(?:self|\d+)\/fd\/(\d+)(\/.*)?$/.exec(p);
    if (!m) return p;
    const base = fds.get(m[1]!);
    return base === undefined ? p : path.join(base, m[2] ?? '');
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lm = LINE.exec(lines[i]!);
    if (!lm) continue;
    const pid = Number(lm[1]);
    const body = lm[2]!;
    if (body.startsWith('+++') || body.startsWith('---')) continue;
    let name: string;
    let args: string;
    let ret: string;
    let start = i;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed) {
      const open = pending.get(`${pid}:${resumed[1]}`);
      if (!open) continue;
      pending.delete(`${pid}:${resumed[1]}`);
      const tail = resumed[2]!;
      const eq = tail.lastIndexOf(') = ');
      if (eq < 0) continue;
      name = open.name;
      args = open.args + tail.slice(0, eq);
      ret = tail.slice(eq + 4);
      start = open.start;
    } else {
      const call = /^(\w+)\((.*)$/.exec(body);
      if (!call) continue;
      name = call[1]!;
      const rest = call[2]!;
      if (rest.endsWith('<unfinished ...>')) {
        pending.set(`${pid}:${name}`, { name, args: rest.slice(0, -'<unfinished ...>'.length).trimEnd(), start: i });
        continue;
      }
      const eq = rest.lastIndexOf(') = ');
      if (eq < 0) continue;
      args = rest.slice(0, eq);
      ret = rest.slice(eq + 4);
    }
    const fdPath = FD_ANNOTATION.exec(args)?.[1];
    const paths = quotedStrings(args).map(resolve);
    const opened = FD_ANNOTATION.exec(ret);
    if (opened && /^open/.test(name)) fds.set(ret.slice(0, ret.indexOf('<')), opened[1]!);
    calls.push({ pid, name, args, ret, start, end: i, fdPath, paths });
  }
  return calls;
}

export const ok = (c: Syscall): boolean => /^0\b/.test(c.ret) || /^\d+</.test(c.ret);
const isFsync = (c: Syscall) => c.name === 'fsync' || c.name === 'fdatasync';
const isRename = (c: Syscall) => c.name.startsWith('rename');
const isMkdir = (c: Syscall) => c.name === 'mkdir' || c.name === 'mkdirat';
const isUnlink = (c: Syscall) => c.name === 'unlink' || c.name === 'unlinkat';

/** The first `write(1, ...)` whose data contains `marker`: the moment a process said "done". */
export function findMarker(calls: Syscall[], marker: string): Syscall | undefined {
  return calls.find((c) => c.name === 'write' && /^1\b/.test(c.args) && c.args.includes(marker));
}

/** The last successful rename onto `target` before `before` (a line index). */
export function renameOnto(calls: Syscall[], target: string, before = Infinity): Syscall | undefined {
  return calls.filter((c) => isRename(c) && ok(c) && c.paths[c.paths.length - 1] === target && c.end < before).at(-1);
}

/**
 * Check fsync(temp) < rename(temp, target) < fsync(folder) < ack for one
 * durable write, plus what `checkArrivedOrder` checks. Returns the broken
 * rules (empty = durable).
 */
export function checkDurableOrder(calls: Syscall[], target: string, ack: Syscall | undefined): string[] {
  if (!ack) return ['no acknowledgement marker in the trace'];
  const rename = renameOnto(calls, target, ack.start);
  if (!rename) return [`no rename onto ${target} before the acknowledgement`];
  const temp = rename.paths[0]!;
  const fileSync = calls.find((c) => isFsync(c) && ok(c) && c.fdPath === temp && c.end < rename.start);
  return [...(fileSync ? [] : [`the temp file ${path.basename(temp)} was not fsynced before its rename`]), ...checkArrivedOrder(calls, target, ack)];
}

/**
 * Check rename(…, target) < fsync(folder of target) < ack (a write's commit
 * or a move's arrival), and that every folder created on the way to `target`
 * had its parent fsynced before the ack.
 */
export function checkArrivedOrder(calls: Syscall[], target: string, ack: Syscall | undefined): string[] {
  if (!ack) return ['no acknowledgement marker in the trace'];
  const errors: string[] = [];
  const rename = renameOnto(calls, target, ack.start);
  if (!rename) return [`no rename onto ${target} before the acknowledgement`];
  const dir = path.dirname(target);
  if (!syncedBetween(calls, dir, rename.end, ack.start)) errors.push(`the folder ${dir} was not fsynced between the rename and the acknowledgement`);
  for (const made of calls.filter((c) => isMkdir(c) && ok(c) && c.end < ack.start)) {
    const created = made.paths[0]!;
    if (!target.startsWith(created + path.sep)) continue;
    if (!syncedBetween(calls, path.dirname(created), made.end, ack.start)) errors.push(`the new folder ${created} was created but its parent was not fsynced before the acknowledgement`);
  }
  return errors;
}

/**
 * Check that `gone` left its folder durably before the ack: unlink(gone), or
 * rename(gone, …) (a move, or a folder renamed aside before it is emptied),
 * then fsync(its folder), then the ack.
 */
export function checkGoneOrder(calls: Syscall[], gone: string, ack: Syscall | undefined): string[] {
  if (!ack) return ['no acknowledgement marker in the trace'];
  const left = calls.filter((c) => (isUnlink(c) || isRename(c)) && ok(c) && c.paths[0] === gone && c.end < ack.start).at(-1);
  if (!left) return [`no unlink or rename of ${gone} before the acknowledgement`];
  const dir = path.dirname(gone);
  return syncedBetween(calls, dir, left.end, ack.start) ? [] : [`the folder ${dir} was not fsynced between ${left.name} of ${path.basename(gone)} and the acknowledgement`];
}

/**
 * A folder removed by renaming it aside first: rename(gone, aside) <
 * fsync(its folder) < the first removal inside `aside`, and < ack. From
 * that fsync on, the folder is gone in one step, however its emptying ends.
 */
export function checkAsideOrder(calls: Syscall[], gone: string, ack: Syscall | undefined): string[] {
  if (!ack) return ['no acknowledgement marker in the trace'];
  const aside = calls.filter((c) => isRename(c) && ok(c) && c.paths[0] === gone && c.end < ack.start).at(-1);
  if (!aside) return [`no rename of ${gone} before the acknowledgement`];
  const hidden = aside.paths[aside.paths.length - 1]!;
  const emptying = calls.find((c) => (isUnlink(c) || c.name === 'rmdir') && c.start > aside.end && c.paths[0]?.startsWith(hidden + path.sep));
  const before = Math.min(ack.start, emptying?.start ?? Infinity);
  const dir = path.dirname(gone);
  return syncedBetween(calls, dir, aside.end, before) ? [] : [`the folder ${dir} was not fsynced between renaming ${path.basename(gone)} aside and ${emptying ? 'emptying it' : 'the acknowledgement'}`];
}

function syncedBetween(calls: Syscall[], dir: string, after: number, before: number): boolean {
  return calls.some((c) => isFsync(c) && ok(c) && c.fdPath === dir && c.start > after && c.end < before);
}

/** True when an `strace` binary can be run here. */
export function straceAvailable(): boolean {
  const r = spawnSync('strace', ['-V'], { stdio: 'ignore' });
  return r.status === 0;
}

/** The strace arguments that record what the durability checks read. */
export function straceArgs(outFile: string, extra: string[] = []): string[] {
  return ['-f', '-y', '-tt', '-qq', '-o', outFile, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat,rmdir,openat,mkdir,mkdirat,write', ...extra];
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
