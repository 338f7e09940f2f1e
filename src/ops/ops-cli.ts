// Operator commands against a running hub: `status`, `nodes`, `sessions`.
// They read the hub's /api/status over HTTP, found through <data>/admin.json
// (and <data>/http-token), or --url and --token; tables by default, --json
// for scripts.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULTS, resolveDataDir } from '../config.js';
import { MeshError } from '../errors.js';
import { httpTokenFile } from '../mcp/http-token.js';
import { readAdminFile } from './admin-file.js';
import type { StatusView } from './status-view.js';
import { formatTable, progressBar, shortBytes } from './tables.js';

/** How long a command waits for the hub, ms. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Largest status answer read, bytes (a hub is trusted, but a wrong --url may not be). */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface Target {
  data?: string;
  url?: string;
  token?: string;
  json?: boolean;
}

export async function findHub(opts: Target, env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; token: string | undefined }> {
  const dataDir = resolveDataDir(opts.data, env);
  let url = opts.url ?? env.MESH_ADMIN_URL;
  if (!url) {
    const published = await readAdminFile(dataDir);
    if (!published) throw new MeshError('HUB_UNREACHABLE', `no running hub found for the data folder ${dataDir} (no ${path.join(dataDir, 'admin.json')}); pass --data DIR or --url URL`);
    url = published.url;
  }
  url = url.replace(/\/+$/, '').replace(/\/mcp$/, '');
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new MeshError('INVALID_ARGUMENT', `--url must be http(s)://HOST:PORT (got "${url.slice(0, 100)}")`);
  let token = opts.token ?? (env.MESH_HTTP_TOKEN || undefined);
  if (!token) token = (await readFile(httpTokenFile(dataDir), 'utf8').catch(() => '')).trim() || undefined;
  return { url, token };
}

export async function fetchStatus(opts: Target, env: NodeJS.ProcessEnv = process.env): Promise<StatusView> {
  const { url, token } = await findHub(opts, env);
  let res: Response;
  try {
    res = await fetch(`${url}/api/status`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new MeshError('HUB_UNREACHABLE', `cannot reach the hub at ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  if (res.status === 401) throw new MeshError('UNAUTHENTICATED', `the hub at ${url} refused the token; pass --token, set MESH_HTTP_TOKEN, or --data of the hub (its http-token)`);
  if (!res.ok) throw new MeshError('HUB_UNREACHABLE', `the hub at ${url} answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES) throw new MeshError('TOO_LARGE', `the answer from ${url} is larger than ${MAX_ANSWER_BYTES} bytes`);
  return JSON.parse(text) as StatusView;
}

export function nodesTable(v: StatusView): string {
  return formatTable(['node', 'state', 'sessions', 'data via'], v.nodes.map((n) => [n.node, n.online ? 'online' : 'offline', n.sessions.join(','), n.fetchVia ?? '-']));
}

export function sessionsTable(v: StatusView): string {
  return formatTable(['session', 'members', 'online'], v.sessions.map((s) => [s.name, s.members, s.online]));
}

export function transfersTable(v: StatusView): string {
  return formatTable(
    ['kind', 'file', 'size', 'progress', 'nodes'],
    v.transfers.map((t) => [t.kind, `${t.session}:${t.path}`, shortBytes(t.size), progressBar(t.done, t.total), t.nodes.map((n) => `${n.node}=${n.state}`).join(',')]),
  );
}

export function statusText(v: StatusView): string {
  const online = v.nodes.filter((n) => n.online).length;
  return [
    `hub ${v.hubId}  nodes attach at ${v.grpc}  store ${v.store}`,
    `${v.nodes.length} node(s), ${online} online, ${v.nodes.length - online} offline; ${v.sessions.length} session(s); ${v.transfers.length} transfer(s) running; ${v.drift.length} recent drift event(s)`,
    '',
    'SESSIONS',
    v.sessions.length ? sessionsTable(v) : '(none)\n',
    'NODES',
    v.nodes.length ? nodesTable(v) : '(none)\n',
    'TRANSFERS',
    v.transfers.length ? transfersTable(v) : '(none)\n',
  ].join('\n');
}

/** The flags that find a running hub, and --json. */
export function targetOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', `data folder of the hub: finds it through <data>/admin.json and its token (env MESH_DATA_DIR, default ${DEFAULTS.dataDir})`)
    .option('--url <url>', "the hub's HTTP address, e.g. http://127.0.0.1:7421 (env MESH_ADMIN_URL)")
    .option('--token <token>', 'bearer token (env MESH_HTTP_TOKEN; default: <data>/http-token)')
    .option('--json', 'print JSON instead of tables');
}

/** `status`, `nodes` and `sessions` on `program`. */
export function registerOpsCommands(program: Command): void {
  const target = targetOptions;
  const print = (opts: Target, json: unknown, text: string) => process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : text);
  target(program.command('status').description('the running hub at a glance: sessions, nodes online and offline, transfers with progress')).action(async (opts: Target) => {
    const v = await fetchStatus(opts);
    print(opts, v, statusText(v));
  });
  target(program.command('nodes').description('nodes known to the running hub: online or offline, and their sessions')).action(async (opts: Target) => {
    const v = await fetchStatus(opts);
    print(opts, v.nodes, nodesTable(v));
  });
  target(program.command('sessions').description('sessions of the running hub, with members and how many are online')).action(async (opts: Target) => {
    const v = await fetchStatus(opts);
    print(opts, v.sessions, sessionsTable(v));
  });
}
