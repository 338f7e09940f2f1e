// One hub per data folder. Two hubs on one folder would share the store file,
// the mirrors and the staging area and corrupt each other silently, so a hub
// holds `<data>/hub.lock` for as long as it runs: a small JSON record of its
// pid, host and listen addresses. A second hub reads it and fails at once,
// naming the folder, the pid and the addresses. A record whose process is
// gone (a SIGKILLed hub leaves it behind) is stale and taken over at once:
// liveness is the pid plus the process's start time (a reused pid is not the
// old hub). Reading, judging and replacing the record happens under a short
// proper-lockfile lock, so two hubs starting together cannot both win.
import fs from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { MeshError } from '../../errors.js';
import { isTempName, writeFileDurable } from '../fs/durable.js';
import { privateLockFs } from '../fs/private-mode.js';

export const DATA_LOCK_FILE = 'hub.lock';
/** The record is tiny; anything bigger was not written by a hub. Bytes. */
const MAX_RECORD_BYTES = 4096;

/** What a running hub says about itself in its data folder. */
export interface HubLockRecord {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid from the hub. */
  startTicks?: string;
  /** Boot id (Linux): a record from before a reboot is stale whatever its pid. */
  bootId?: string;
  since: string;
  grpc?: string;
  http?: string;
  /**
   * Where the hub serves MCP over HTTP (its --http listener, or /mcp on its
   * admin listener when MCP runs on stdio): a `hub --stdio` started on the
   * folder relays its client there.
   */
  mcp?: string;
}

export interface DataLock {
  readonly file: string;
  /** Record the addresses the hub listens on (the next hub's error names them). */
  announce(addresses: { grpc?: string; http?: string; mcp?: string }): Promise<void>;
  /** Remove the record if it is still ours; never throws. */
  release(): Promise<void>;
}

/**
 * Folders this process holds. A record naming this process's own pid is
 * stale (an earlier process with the same pid: a container restarted, its
 * hub pid 1 again) unless this process really holds the folder: an embedder
 * starting a second Hub on it in the same process.
 */
const heldHere = new Set<string>();

/** Take the data folder for this process, or throw HUB_ALREADY_RUNNING naming the running hub. */
export async function acquireDataLock(dataDir: string): Promise<DataLock> {
  const file = path.join(dataDir, DATA_LOCK_FILE);
  const mine: HubLockRecord = { pid: process.pid, host: os.hostname(), ...(await selfIdentity()), since: new Date().toISOString() };
  const releaseGuard = await lockfile.lock(file, {
    realpath: false,
    fs: privateLockFs,
    // Held for milliseconds; a hub killed inside it leaves a guard that is stale after 2 s.
    stale: 2_000,
    retries: { retries: 60, factor: 1.2, minTimeout: 10, maxTimeout: 200, randomize: true },
    onCompromised: () => {},
  });
  try {
    // A hub killed while rewriting its record leaves the temp file beside it; nothing else writes these names.
    for (const name of await readdir(dataDir)) if (name.startsWith(`.${DATA_LOCK_FILE}.`) && isTempName(name)) await rm(path.join(dataDir, name), { force: true });
    const holder = await readRecord(file);
    if (holder && (heldHere.has(file) || (await holderAlive(holder)))) throw alreadyRunning(dataDir, file, holder);
    await writeRecord(file, mine);
    heldHere.add(file);
  } finally {
    await releaseGuard().catch(() => {});
  }
  let current = mine;
  let released = false;
  return {
    file,
    async announce(addresses) {
      if (released) return;
      current = { ...current, ...addresses };
      await writeRecord(file, current);
    },
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(file);
      const now = await readRecord(file).catch(() => undefined);
      if (now?.pid === mine.pid && now.since === mine.since) await rm(file, { force: true }).catch(() => {});
    },
  };
}

export function alreadyRunning(dataDir: string, file: string, holder: HubLockRecord): MeshError {
  const where = [holder.grpc && `gRPC ${holder.grpc}`, holder.http && `HTTP ${holder.http}`].filter(Boolean).join(', ') || 'addresses not announced yet (still starting)';
  const host = holder.host === os.hostname() ? '' : ` on host ${holder.host}`;
  return new MeshError(
    'HUB_ALREADY_RUNNING',
    `another hub is running on data folder ${dataDir}: pid ${holder.pid}${host}, ${where}. Use that hub, stop it, or give this one another --data folder` +
      (host ? ` (if no hub runs there any more, remove ${file})` : ''),
    { dataDir, pid: holder.pid, host: holder.host, grpc: holder.grpc, http: holder.http },
  );
}

/** Whether the process a record names still runs. Another host's hub cannot be checked from here: it counts as running. */
export async function holderAlive(holder: HubLockRecord): Promise<boolean> {
  if (holder.host !== os.hostname()) return true;
  const self = await selfIdentity();
  if (holder.bootId && self.bootId && holder.bootId !== self.bootId) return false;
  if (holder.pid === process.pid) return false; // not us: this process is only now taking the folder
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  if (!holder.startTicks) return true;
  const ticks = await startTicksOf(holder.pid);
  return ticks === undefined || ticks === holder.startTicks;
}

/** The record of the hub holding `dataDir`, if any (alive or not: see holderAlive). */
export function readDataLock(dataDir: string): Promise<HubLockRecord | undefined> {
  return readRecord(path.join(dataDir, DATA_LOCK_FILE));
}

async function readRecord(file: string): Promise<HubLockRecord | undefined> {
  let text: string;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_RECORD_BYTES + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseRecord(text);
}

/** A record as read from disk; anything malformed (a torn write cannot happen, a hand edit can) counts as no record. */
export function parseRecord(text: string): HubLockRecord | undefined {
  if (text.length > MAX_RECORD_BYTES) return undefined;
  try {
    const r = JSON.parse(text) as Partial<HubLockRecord>;
    if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 0 || typeof r.host !== 'string' || typeof r.since !== 'string') return undefined;
    return r as HubLockRecord;
  } catch {
    return undefined;
  }
}

async function writeRecord(file: string, record: HubLockRecord): Promise<void> {
  await writeFileDurable(file, Buffer.from(JSON.stringify(record) + '\n'));
}

async function selfIdentity(): Promise<Pick<HubLockRecord, 'startTicks' | 'bootId'>> {
  const [startTicks, bootId] = await Promise.all([
    startTicksOf(process.pid),
    readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((t) => t.trim(), () => undefined),
  ]);
  return { startTicks, bootId };
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces); undefined off Linux. */
async function startTicksOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}
