// A hub (driven over stdin/stdout) and real node agent processes in one temp
// folder, with optional throttling proxies, for the file-plane fault tests;
// plus the file checks those tests share (whole-file and per-chunk SHA-256).
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CHUNK_SIZE } from '../../../src/mesh/fs/chunk-plan.js';
import { hashFile } from '../../../src/mesh/fs/hash.js';
import {
  eventually,
  freePort,
  startHubDriver,
  startNodeProc,
  tempDir,
  waitAttached,
  type HubDriver,
  type Proc,
} from '../../support/processes.js';
import { startThrottleProxy, type ThrottleProxy } from '../../support/throttle-proxy.js';

export const MiB = 1024 * 1024;

/**
 * What a link carries beyond the file's bytes for one transfer of `size`
 * bytes sent uncompressed: HTTP/2 and gRPC framing (about 0.06 %), the
 * delivery request with its chunk hashes, heartbeats. Far below one chunk,
 * so a byte count from a proxy tells "one chunk again" from "two".
 */
export const WIRE_SLACK = (size: number): number => Math.ceil(size * 0.01) + 64 * 1024;
export { CHUNK_SIZE };

export interface NodeSpec {
  id: string;
  sessions: string[];
  /** Put the node behind a throttling proxy at this rate, bytes per second. */
  rate?: number;
  env?: Record<string, string | undefined>;
  /** More `node` flags (TLS files, for instance). */
  extraArgs?: string[];
}

export interface Mesh {
  root: string;
  dataDir: string;
  sourceDir: string;
  port: number;
  /** The hub's fetch port (the worker's second listener), or 0 when the hub runs with `--grpc-fetch off`. */
  fetchPort: number;
  hub: HubDriver;
  nodes: Map<string, Proc>;
  proxies: Map<string, ThrottleProxy>;
  workspace(id: string): string;
  /** Where a node keeps `rel` of `session`. */
  nodeFile(id: string, session: string, rel: string): string;
  /** Start (or restart, same id and workspace) a node; resolves once it attached. */
  startNode(spec: NodeSpec): Promise<Proc>;
  /** Start a hub driver on the same data folder and port (after a kill). */
  startHub(): Promise<HubDriver>;
  /** Kill every process, close the proxies, remove the temp folder. */
  close(): Promise<void>;
}

export interface MeshOptions {
  hubArgs?: string[];
  hubEnv?: Record<string, string | undefined>;
  storeUrl?: string;
}

export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const tmp = await tempDir('mesh-transfer-');
  const dataDir = path.join(tmp.dir, 'hub');
  const sourceDir = path.join(tmp.dir, 'source');
  const port = await freePort();
  // A fixed fetch port: a restarted hub keeps it, and a node's proxies can be put in front of it.
  const fetchFlag = options.hubArgs?.indexOf('--grpc-fetch') ?? -1;
  const fetchPort = fetchFlag >= 0 ? Number(/:(\d+)$/.exec(options.hubArgs![fetchFlag + 1]!)?.[1] ?? 0) : await freePort();
  const nodes = new Map<string, Proc>();
  const proxies = new Map<string, ThrottleProxy>();
  const hubArgs = ['--data', dataDir, '--grpc', `127.0.0.1:${port}`, '--source-root', sourceDir, ...(fetchFlag >= 0 ? [] : ['--grpc-fetch', `127.0.0.1:${fetchPort}`]), ...(options.hubArgs ?? [])];
  if (options.storeUrl) hubArgs.push('--store', options.storeUrl);
  await mkdir(sourceDir, { recursive: true });

  const mesh: Mesh = {
    root: tmp.dir,
    dataDir,
    sourceDir,
    port,
    fetchPort,
    hub: undefined as unknown as HubDriver,
    nodes,
    proxies,
    workspace: (id) => path.join(tmp.dir, `ws-${id}`),
    nodeFile: (id, session, rel) => path.join(tmp.dir, `ws-${id}`, 'sessions', session, rel),
    async startNode(spec) {
      let hubPort = port;
      let env = spec.env;
      if (spec.rate !== undefined) {
        let proxy = proxies.get(spec.id) as LinkProxy | undefined;
        if (!proxy) {
          proxy = await startLinkProxy(port, fetchPort, spec.rate);
          proxies.set(spec.id, proxy);
        } else {
          proxy.setRate(spec.rate);
        }
        hubPort = proxy.port;
        // The node's Fetch streams take the same (throttled, counted) link as its control stream.
        if (proxy.fetchPort) env = { MESH_HUB_FETCH: `127.0.0.1:${proxy.fetchPort}`, ...env };
      }
      const proc = startNodeProc({ id: spec.id, workspace: mesh.workspace(spec.id), hubPort, sessions: spec.sessions, env, extraArgs: spec.extraArgs });
      nodes.set(spec.id, proc);
      await waitAttached(proc, 1, 30_000);
      return proc;
    },
    async startHub() {
      mesh.hub = await startHubDriver(hubArgs, options.hubEnv ?? {});
      return mesh.hub;
    },
    async close() {
      await Promise.all([mesh.hub?.kill('SIGKILL'), ...[...nodes.values()].map((n) => n.kill('SIGKILL'))]);
      await Promise.all([...proxies.values()].map((p) => p.close()));
      await tmp.cleanup();
    },
  };
  try {
    await mesh.startHub();
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
  return mesh;
}

/** The mesh's file hash (content hash) of a file, hex; undefined when it does not exist. */
export async function sha256File(file: string): Promise<string | undefined> {
  try {
    return await hashFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** SHA-256 of each CHUNK_SIZE piece of a file, in order (the hub's chunk plan). */
export async function chunkHashes(file: string, chunkSize = CHUNK_SIZE): Promise<string[]> {
  const { size } = await stat(file);
  const out: string[] = [];
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(chunkSize);
    for (let offset = 0; offset < size; offset += chunkSize) {
      const len = Math.min(chunkSize, size - offset);
      const { bytesRead } = await handle.read(buf, 0, len, offset);
      out.push(createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex'));
    }
  } finally {
    await handle.close();
  }
  return out;
}

/** How many leading complete chunks of `part` match `hashes`. */
export async function verifiedChunks(part: string, hashes: string[], size: number, chunkSize = CHUNK_SIZE): Promise<number> {
  const have = (await stat(part)).size;
  const handle = await open(part, 'r');
  try {
    const buf = Buffer.alloc(chunkSize);
    let n = 0;
    for (; n < hashes.length; n++) {
      const len = Math.min(chunkSize, size - n * chunkSize);
      if (n * chunkSize + len > have) break;
      const { bytesRead } = await handle.read(buf, 0, len, n * chunkSize);
      if (bytesRead !== len || createHash('sha256').update(buf.subarray(0, len)).digest('hex') !== hashes[n]) break;
    }
    return n;
  } finally {
    await handle.close();
  }
}

/** The `.name.part-<transfer>` file next to `target`, if one exists. */
export async function findPartFile(target: string): Promise<string | undefined> {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.part-`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const name = names.find((n) => n.startsWith(prefix));
  return name === undefined ? undefined : path.join(dir, name);
}

/** Size in bytes of the part file for `target` (0 when there is none). */
export async function partSize(target: string): Promise<number> {
  const part = await findPartFile(target);
  return part ? ((await stat(part).catch(() => undefined))?.size ?? 0) : 0;
}

/** Resolve once `file` exists with content hash `sha256` (bounded by timeoutMs). */
export function waitForFile(file: string, sha256: string, timeoutMs = 30_000): Promise<true> {
  return eventually(async () => (await sha256File(file)) === sha256 || undefined, timeoutMs, 200) as Promise<true>;
}

/** Parsed JSON log lines of a process whose `msg` is `msg`. */
export function logLines(proc: Proc, msg: string): Array<Record<string, any>> {
  return proc.lines.filter((l) => l.includes(`"msg":"${msg}`)).map((l) => JSON.parse(l) as Record<string, any>);
}

/** One node's entry for `transferId` in the hub's status, if still running. */
export async function nodeStatus(
  hub: HubDriver,
  transferId: string | undefined,
  node: string,
): Promise<{ node: string; state: string; bytes: number; sentBytes: number } | undefined> {
  const status = await hub.call({ op: 'status' });
  const t = (status.transfers as Array<any>).find((x) => transferId === undefined || x.transferId === transferId);
  return t?.nodes.find((n: any) => n.node === node);
}

/** The id of the one running transfer of `session` (waits until it is staged). */
export async function runningTransferId(hub: HubDriver, session: string, timeoutMs = 30_000): Promise<string> {
  const id = await eventually(async () => {
    const status = await hub.call({ op: 'status' });
    return (status.transfers as Array<any>).find((t) => t.session === session)?.transferId as string | undefined;
  }, timeoutMs);
  return id!;
}

/** Resolves once every chunk of transfer `transferId` is staged. */
export async function waitFullyStaged(hub: HubDriver, transferId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    const t = (await hub.call({ op: 'status' })).transfers.find((x: { transferId: string }) => x.transferId === transferId);
    return t !== undefined && t.stagedChunks === t.chunks;
  }, timeoutMs);
}

/** Leftovers of an unfinished write under `root`: temp and part files, and empty folders below it. */
export async function leftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<number> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if ((await walk(full)) === 0) found.push(`${path.relative(root, full)}/ (empty)`);
      } else if (/\.(tmp|part)-[0-9a-f]+$/.test(e.name)) {
        found.push(path.relative(root, full));
      }
    }
    return entries.length;
  };
  await walk(root);
  return found;
}

/** A node's link to the hub: a proxy in front of the main port and one in front of the fetch port, driven as one. */
interface LinkProxy extends ThrottleProxy {
  /** The proxy port in front of the hub's fetch port; 0 when the hub has none. */
  fetchPort: number;
}

async function startLinkProxy(port: number, fetchPort: number, rate: number): Promise<LinkProxy> {
  const main = await startThrottleProxy({ target: { host: '127.0.0.1', port }, bytesPerSecond: rate });
  if (!fetchPort) return Object.assign(main, { fetchPort: 0 });
  const data = await startThrottleProxy({ target: { host: '127.0.0.1', port: fetchPort }, bytesPerSecond: rate });
  const both = [main, data];
  return {
    port: main.port,
    fetchPort: data.port,
    setRate: (r) => both.forEach((p) => p.setRate(r)),
    // File data travels on the fetch link.
    corruptNext: (direction, afterBytes) => data.corruptNext(direction, afterBytes),
    cutConnections: () => both.forEach((p) => p.cutConnections()),
    close: async () => {
      await Promise.all(both.map((p) => p.close()));
    },
    stats: () => {
      const [a, b] = [main.stats(), data.stats()];
      return { up: a.up + b.up, down: a.down + b.down };
    },
  };
}
