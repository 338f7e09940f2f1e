// The `hub` command: the hub core, MCP over stdio and/or Streamable HTTP, the
// admin endpoints, and a bounded shutdown on SIGINT/SIGTERM. A module of its
// own so that other commands (a node agent above all) do not load the hub,
// the MCP server and the store: their code alone is some 25 MiB of memory.
import path from 'node:path';
import { DEFAULTS, envList, parseDriftMode, parseFetchAddress, pick, requireValue, resolveDataDir } from './config.js';
import { createLogger } from './log.js';
import type { HubOptions } from './mesh/hub/hub-options.js';
import { serveHttp } from './mcp/http.js';
import { httpLimitsFromEnv } from './mcp/http-limits.js';
import { resolveHttpAuth } from './mcp/http-token.js';
import { serveStdio } from './mcp/stdio.js';
import { startHubOrRelay } from './mcp/relay-start.js';
import { printQuickHelp } from './quick-help.js';
import { checkAddress, startAdminEndpoints } from './ops/admin-start.js';
import { routeGrpcLogs } from './ops/grpc-log.js';
import { envInt, HubOps } from './ops/hub-ops.js';

/** A hub asked to stop exits within this long, ms, whatever is still running (it all continues after the restart). */
const SHUTDOWN_LIMIT_MS = 9_000;

/** The `hub` command's options as commander parses them. */
export interface HubCommandOptions {
  grpc?: string;
  grpcFetch?: string;
  data?: string;
  store?: string;
  stdio?: boolean;
  /** false with --no-http, a string with --http. */
  http?: string | boolean;
  /** false with --no-http-auth. */
  httpAuth?: boolean;
  sourceRoot?: string[];
  drift?: string;
  autoPromote?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  insecure?: boolean;
  /** false with --no-admin, a string with --admin. */
  admin?: string | boolean;
}

export async function runHub(opts: HubCommandOptions): Promise<void> {
  const env = process.env;
  const log = createLogger('hub');
  routeGrpcLogs(log);
  if (typeof opts.admin === 'string') checkAddress(opts.admin, '--admin'); // refused before anything starts
  const tlsCert = pick<string | undefined>(opts.tlsCert, env.MESH_TLS_CERT, undefined);
  const tlsKey = pick<string | undefined>(opts.tlsKey, env.MESH_TLS_KEY, undefined);
  const tlsCa = pick<string | undefined>(opts.tlsCa, env.MESH_TLS_CA, undefined);
  const tls = tlsCert || tlsKey ? { cert: requireValue(tlsCert, '--tls-cert (or MESH_TLS_CERT)'), key: requireValue(tlsKey, '--tls-key (or MESH_TLS_KEY)'), ca: tlsCa } : undefined;
  const dataDir = resolveDataDir(opts.data, env);
  const httpAddress = opts.http === false ? undefined : typeof opts.http === 'string' ? opts.http : opts.stdio ? env.MESH_HTTP : pick(undefined, env.MESH_HTTP, DEFAULTS.http);
  // Settled before anything listens: --no-http-auth beyond loopback and an unsafe token file are refused here.
  const httpAuth = httpAddress ? await resolveHttpAuth(httpAddress, opts.httpAuth !== false, dataDir, env.MESH_HTTP_TOKEN || undefined) : undefined;
  const httpLimits = httpAddress ? httpLimitsFromEnv(env) : undefined;
  const ops = new HubOps({ dataDir, log, auditMaxBytes: envInt('MESH_AUDIT_MAX_BYTES'), auditKeep: envInt('MESH_AUDIT_KEEP') });
  const hubOptions: HubOptions = {
    observer: ops.observer,
    toolCalls: ops.toolCalls,
    dataDir,
    storeUrl: pick<string | undefined>(opts.store, env.MESH_STORE_URL, undefined),
    grpcAddress: pick(opts.grpc, env.MESH_GRPC, DEFAULTS.grpc),
    grpcFetchAddress: parseFetchAddress(pick<string | undefined>(opts.grpcFetch, env.MESH_GRPC_FETCH, undefined), '--grpc-fetch (MESH_GRPC_FETCH)'),
    tls,
    insecure: Boolean(opts.insecure),
    nodeTokens: envList('MESH_NODE_TOKENS'),
    sourceRoots: (opts.sourceRoot ?? envList('MESH_SOURCE_ROOTS')).map((r: string) => path.resolve(r)),
    driftMode: parseDriftMode(pick(opts.drift, env.MESH_DRIFT, 'repair')),
    autoPromote: Boolean(opts.autoPromote) || env.MESH_AUTO_PROMOTE === '1',
    log,
  };
  const hub = await startHubOrRelay(hubOptions, { stdio: Boolean(opts.stdio), http: httpAddress, ops, log });
  ops.bind(hub);
  const closers: Array<() => Promise<void>> = [];
  if (opts.stdio) closers.push((await serveStdio(hub, log)).close);
  let httpUrl: string | undefined;
  if (httpAddress && httpAuth) {
    const { auth, token } = httpAuth;
    const http = await serveHttp(hub, { address: httpAddress, auth, token: token?.token, allowedHosts: envList('MESH_HTTP_ALLOWED_HOSTS'), limits: httpLimits, ops }, log);
    closers.push(http.close);
    httpUrl = http.url;
    await hub.announceHttp(http.url);
    if (!opts.stdio) printQuickHelp({ grpc: hub.grpcAddress, http: http.url, token });
  }
  const admin = await startAdminEndpoints({
    dataDir,
    ops,
    log,
    httpUrl,
    admin: opts.admin,
    envAdmin: env.MESH_ADMIN,
    envToken: env.MESH_HTTP_TOKEN || undefined,
    mcpLimits: httpLimitsFromEnv(env),
  });
  closers.push(admin.close);
  // Where a `hub --stdio` started by another host on this folder relays its client.
  if (!httpUrl && admin.mcpUrl) await hub.announceMcp(admin.mcpUrl);
  log.info({ grpc: hub.grpcAddress, http: httpAddress, stdio: Boolean(opts.stdio), admin: admin.url }, 'hub ready');
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    // Bounded: a stop that hangs (a stuck disk) must not keep the process past its supervisor's patience.
    setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS).unref();
    // Pending push and write calls are answered (their transfer continues after the restart) before the MCP servers close.
    hub.stopAccepting();
    await new Promise((resolve) => setImmediate(resolve));
    for (const close of closers) await close().catch(() => {});
    await hub.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
