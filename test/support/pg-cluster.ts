// A private PostgreSQL cluster for tests that stop and start the server
// (the machine's own server on 5432 is shared with other work and is never
// touched). initdb refuses to run as root, so as root every command runs as
// the `postgres` user in a temp folder that user owns. Loopback only, a free
// port, removed by `destroy()`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

/** Where Debian keeps the server binaries; MESH_TEST_PG_BIN overrides it. */
export function pgBinDir(): string | undefined {
  if (process.env.MESH_TEST_PG_BIN) return process.env.MESH_TEST_PG_BIN;
  for (const v of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(path.join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

export interface PgCluster {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** `pg_ctl stop`: `fast` ends sessions and checkpoints; `immediate` is a crash (recovery from the WAL at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stop (if running) and remove the cluster's folder. */
  destroy(): Promise<void>;
}

export async function createPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set MESH_TEST_PG_BIN');
  const root = await mkdtemp(path.join(os.tmpdir(), 'mesh-pg-'));
  const dir = path.join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  // As root, each command runs as postgres; otherwise as the current user.
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: root }) : run(path.join(bin, tool), args, { cwd: root });
  const port = await freePort();
  // --no-sync: the cluster's creation need not survive a power cut; the server itself runs with fsync on.
  await pg('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c max_connections=40 -c shared_buffers=16MB`;
  const start = async () => {
    await pg('pg_ctl', ['-D', dir, '-o', options, '-l', path.join(root, 'server.log'), '-w', '-t', '60', 'start']);
  };
  let running = false;
  const cluster: PgCluster = {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['-D', dir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return cluster;
}
