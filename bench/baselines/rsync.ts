// Peer baseline: the tool people already use to copy a file to many machines.
// An rsync daemon on loopback serves the source folder, and N rsync clients
// pull the same file at once, each into its own folder.
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { MeshError } from '../../src/errors.js';
import { freePort, startProcess, waitForPort, type BenchProcess } from '../lib/proc.js';

const execFileAsync = promisify(execFile);

export interface RsyncOptions {
  /** The file to copy; its folder becomes the daemon's module. */
  file: string;
  bytes: number;
  /** Number of concurrent clients; default 8. */
  clients?: number;
  /** Holds the daemon config and the clients' folders; they are removed afterwards. */
  workspace: string;
  /** Clients fsync every file they write (`--fsync`), as the mesh does: the durable comparison. */
  fsync?: boolean;
}

export type RsyncResult =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      clients: number;
      bytes: number;
      /** From starting the clients to the last one exiting. */
      seconds: number;
      perClientSeconds: number[];
      /** bytes x clients / seconds. */
      aggregateGoodputBytesPerSec: number;
      rsyncVersion: string;
    };

/** The installed rsync's version line, or null when rsync is missing. */
export async function rsyncVersion(): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('rsync', ['--version']);
    return stdout.split('\n')[0]?.trim() ?? 'rsync';
  } catch {
    return null;
  }
}

function daemonConfig(sourceDir: string, pidFile: string): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  // Run as whoever runs the bench (a daemon started by root would otherwise
  // drop to "nobody" and be unable to enter a private temp folder).
  return [
    `pid file = ${pidFile}`,
    'use chroot = false',
    `uid = ${uid}`,
    `gid = ${gid}`,
    'max connections = 0',
    '',
    '[src]',
    `  path = ${sourceDir}`,
    '  read only = true',
    '',
  ].join('\n');
}

/** Time `clients` concurrent rsync pulls of one file from a loopback daemon. Skips when rsync is missing. */
export async function runRsyncPeer(opts: RsyncOptions): Promise<RsyncResult> {
  const version = await rsyncVersion();
  if (!version) return { skipped: true, reason: 'rsync is not installed (apt-get install rsync to include this baseline)' };
  const clients = opts.clients ?? 8;
  const confDir = path.join(opts.workspace, 'rsyncd');
  await mkdir(confDir, { recursive: true });
  const conf = path.join(confDir, 'rsyncd.conf');
  await writeFile(conf, daemonConfig(path.dirname(opts.file), path.join(confDir, 'rsyncd.pid')));
  const port = await freePort();
  let daemon: BenchProcess | undefined;
  const dests = Array.from({ length: clients }, (_, i) => path.join(opts.workspace, `rsync-c${i}`));
  try {
    daemon = startProcess('rsync', ['--daemon', '--no-detach', '--address', '127.0.0.1', '--port', String(port), '--config', conf], {
      name: 'rsyncd',
    });
    await waitForPort('127.0.0.1', port);
    await Promise.all(dests.map((d) => mkdir(d, { recursive: true })));

    const url = `rsync://127.0.0.1:${port}/src/${path.basename(opts.file)}`;
    const started = performance.now();
    const perClientSeconds = await Promise.all(
      dests.map(async (d) => {
        // -a keeps metadata like a real copy; no -z: the data crosses loopback, compressing would only cost CPU.
        const client = startProcess('rsync', ['-a', '--whole-file', ...(opts.fsync ? ['--fsync'] : []), url, `${d}/`], { name: 'rsync' });
        const { code } = await client.exited;
        if (code !== 0) throw new MeshError('TRANSFER_FAILED', `rsync client exited with ${code}: ${client.lines.slice(-5).join(' | ')}`);
        return (performance.now() - started) / 1000;
      }),
    );
    const seconds = Math.max(...perClientSeconds);
    for (const d of dests) {
      const size = (await stat(path.join(d, path.basename(opts.file)))).size;
      if (size !== opts.bytes) throw new MeshError('TRANSFER_FAILED', `rsync copy in ${d} has ${size} bytes, expected ${opts.bytes}`);
    }
    return {
      skipped: false,
      clients,
      bytes: opts.bytes,
      seconds,
      perClientSeconds,
      aggregateGoodputBytesPerSec: (opts.bytes * clients) / seconds,
      rsyncVersion: version,
    };
  } finally {
    await daemon?.kill();
    await Promise.all([...dests, confDir].map((d) => rm(d, { recursive: true, force: true })));
  }
}
