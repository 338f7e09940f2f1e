#!/usr/bin/env node
// One entry point: `hub` (MCP + gRPC), `node` (the agent), and operator
// commands (`token ...`). Configuration comes from MESH_* environment
// variables; flags override them.
import { Command, Option } from 'commander';
import path from 'node:path';
import { DEFAULTS, parseFetchAddress, parseScanInterval, pick, requireValue, resolveDataDir } from './config.js';
import { toMeshError } from './errors.js';
import type { HubCommandOptions } from './hub-command.js';
import { createLogger } from './log.js';
import { parseGrantList } from './mesh/hub/grants.js';
import type { MeshStore } from './mesh/store/mesh-store.js';
import { routeGrpcLogs } from './ops/grpc-log.js';
import { registerOpsCommands } from './ops/ops-cli.js';
import { registerPushCommand } from './ops/push-cli.js';
import { AGENT_VERSION } from './version.js';

// Each command loads what it runs when it runs (the `import()`s below): a node
// agent, the process on every machine of the mesh, then carries no hub, MCP
// server, store or demo code (about 25 MiB of its resident memory).
const env = process.env;
const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command()
  .name('mesh-assistant')
  .description('MCP server and gRPC mesh hub: reach files on many machines from an LLM client.')
  .version(AGENT_VERSION);

program
  .command('hub')
  .description('run the hub: gRPC for node agents, MCP over stdio or Streamable HTTP for LLM clients')
  .option('--grpc <host:port>', `gRPC listen address (env MESH_GRPC, default ${DEFAULTS.grpc})`)
  .option('--grpc-fetch <host:port|off>', 'second listener serving only file data (Fetch) from a worker thread, over a TCP or TLS data wire, not gRPC (env MESH_GRPC_FETCH; default: the --grpc host, a free port; off: Fetch on the main port only)')
  .option('--data <dir>', `data folder (env MESH_DATA_DIR, default ${DEFAULTS.dataDir})`)
  .option('--store <url>', 'postgres://..., sqlite://FILE or log://FILE store URL (env MESH_STORE_URL; default: the embedded store in the data folder, SQLite unless MESH_EMBEDDED_STORE=log)')
  .option('--stdio', 'serve MCP on stdin/stdout (what desktop hosts run)')
  .option('--http <host:port>', `serve MCP over Streamable HTTP at /mcp (env MESH_HTTP, default ${DEFAULTS.http} unless --stdio)`)
  .option('--no-http', 'do not serve MCP over HTTP')
  .option('--no-http-auth', 'serve MCP over HTTP without a bearer token (loopback addresses only; logged as a warning)')
  .option('--source-root <dir>', 'folder `push` may read from; repeatable (env MESH_SOURCE_ROOTS, comma-separated)', collect)
  .addOption(new Option('--drift <mode>', 'on drift: repair the node from the mirror, or only report').choices(['repair', 'report']))
  .option('--auto-promote', 'promote skills written into skills/<name>/ once their SKILL.md is valid')
  .option('--tls-cert <file>', 'TLS certificate for the gRPC listener (env MESH_TLS_CERT)')
  .option('--tls-key <file>', 'TLS private key (env MESH_TLS_KEY)')
  .option('--tls-ca <file>', 'CA that node client certificates must chain to (requires client certificates; env MESH_TLS_CA)')
  .option('--insecure', 'allow plaintext gRPC on a non-loopback address')
  .option('--admin <host:port>', `admin endpoints (/healthz, /readyz, /metrics, status page) when MCP is on stdio (env MESH_ADMIN, default ${DEFAULTS.admin})`)
  .option('--no-admin', 'no admin listener with --stdio (the HTTP listener, when there is one, always serves them)')
  .action(async (opts: HubCommandOptions) => {
    await (await import('./hub-command.js')).runHub(opts);
  });

program
  .command('node')
  .description('run a node agent: attach to a hub and keep a folder per session')
  .option('--hub <host:port>', 'hub gRPC address (env MESH_HUB)')
  .option('--hub-fetch <host:port|off>', "where to fetch file data, instead of the hub's host with the fetch port it announces (env MESH_HUB_FETCH; off: the main connection only)")
  .option('--id <id>', 'stable node id (env MESH_NODE_ID)')
  .option('--workspace <dir>', 'workspace folder (env MESH_WORKSPACE)')
  .option('--session <name>', 'session to join; repeatable', collect)
  .option('--token <token>', 'bearer token (env MESH_NODE_TOKEN; prefer the environment, flags show in `ps`)')
  .option('--tls-ca <file>', 'dial with TLS, trusting this CA')
  .option('--tls-cert <file>', 'client certificate for mutual TLS')
  .option('--tls-key <file>', 'client key for mutual TLS')
  .option('--scan-interval <ms>', 'verification scan of session copies every N ms, besides the one at attach (env MESH_SCAN_INTERVAL; default 3600000, 0: only at attach)')
  .option('--no-watch', 'do not watch session copies; find changes by scans only')
  .action(async (opts) => {
    const log = createLogger('node');
    routeGrpcLogs(log);
    const tlsWanted = opts.tlsCa || opts.tlsCert;
    const [{ NodeAgent }, { DEFAULT_SCAN_INTERVAL_MS }, { keepHeapSmall }] = await Promise.all([
      import('./mesh/node/agent.js'),
      import('./mesh/node/manifest-reporter.js'),
      import('./mesh/node/heap-budget.js'),
    ]);
    keepHeapSmall();
    const agent = new NodeAgent({
      hub: requireValue(pick(opts.hub, env.MESH_HUB, undefined), '--hub (or MESH_HUB)'),
      nodeId: requireValue(pick(opts.id, env.MESH_NODE_ID, undefined), '--id (or MESH_NODE_ID)'),
      workspace: path.resolve(requireValue(pick(opts.workspace, env.MESH_WORKSPACE, undefined), '--workspace (or MESH_WORKSPACE)')),
      sessions: opts.session ?? [],
      token: pick<string | undefined>(opts.token, env.MESH_NODE_TOKEN, undefined),
      tls: tlsWanted ? { ca: opts.tlsCa, cert: opts.tlsCert, key: opts.tlsKey } : undefined,
      scanIntervalMs: parseScanInterval(pick(opts.scanInterval, env.MESH_SCAN_INTERVAL, String(DEFAULT_SCAN_INTERVAL_MS))),
      watch: opts.watch !== false,
      fetchHub: parseFetchAddress(pick<string | undefined>(opts.hubFetch, env.MESH_HUB_FETCH, undefined), '--hub-fetch (MESH_HUB_FETCH)'),
      log,
    });
    await agent.start();
    const shutdown = async () => {
      await agent.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  });

const token = program.command('token').description('manage node credentials kept (hashed) in the store; a running hub applies changes within a second');
const storeOptions = (cmd: Command) =>
  cmd.option('--data <dir>', 'data folder (env MESH_DATA_DIR)').option('--store <url>', 'store URL (env MESH_STORE_URL)');
type Tokens = typeof import('./mesh/hub/tokens.js');
async function withStore<T>(opts: { data?: string; store?: string }, fn: (store: MeshStore, tokens: Tokens) => Promise<T>): Promise<T> {
  const [{ MeshStore }, tokens] = await Promise.all([import('./mesh/store/mesh-store.js'), import('./mesh/hub/tokens.js')]);
  const store = await MeshStore.open(pick<string | undefined>(opts.store, env.MESH_STORE_URL, undefined), resolveDataDir(opts.data, env));
  try {
    return await fn(store, tokens);
  } finally {
    await store.close();
  }
}
storeOptions(
  token
    .command('create')
    .description('mint a token; it is printed once')
    .option('--name <name>', 'label', 'node')
    .option('--node <id>', "make it this node id's own credential (without: it only enrols new node ids, each of which then gets its own)")
    .requiredOption('--sessions <list>', "sessions it grants, comma-separated, or '*' for every session"),
).action(async (opts) => {
  const { token: value, record } = await withStore(opts, (store, t) => t.createToken(store, { name: opts.name, node: opts.node, sessions: parseGrantList(opts.sessions) }));
  process.stdout.write(`${value}\n`);
  process.stderr.write(`token ${record.id} (${record.name}) created, granting ${record.sessions!.join(',')}; it is not shown again\n`);
});
storeOptions(token.command('list').description('list credentials: id, name, node, grants, created, state (never the secrets)')).action(async (opts) => {
  for (const record of await withStore(opts, (store, t) => t.listTokens(store))) {
    const state = record.revokedAt ? `revoked ${new Date(record.revokedAt).toISOString()}` : 'active';
    const node = record.node ?? (record.origin === 'issued' ? '?' : '(enrols)');
    process.stdout.write(`${record.id}\t${record.name}\t${node}\t${(record.sessions ?? ['*']).join(',')}\t${new Date(record.createdAt).toISOString()}\t${state}\n`);
  }
});
storeOptions(token.command('revoke').description('revoke a token (by id, or an enrolled node id); its open streams are closed').argument('<id>')).action(async (id: string, opts) => {
  const record = await withStore(opts, (store, t) => t.revokeToken(store, id));
  process.stderr.write(`token ${record.id} revoked\n`);
});
storeOptions(
  token
    .command('grant')
    .description('grant sessions to a token (by id, or an enrolled node id); open streams join them at once')
    .argument('<id>')
    .argument('<sessions>', "comma-separated session names, or '*'")
    .option('--replace', 'set the grants to exactly this list'),
).action(async (id: string, sessions: string, opts) => {
  const record = await withStore(opts, (store, t) => t.changeGrants(store, id, parseGrantList(sessions, 'sessions'), opts.replace ? 'replace' : 'add'));
  process.stderr.write(`token ${record.id} now grants ${record.sessions!.join(',') || '(nothing)'}\n`);
});
storeOptions(
  token
    .command('ungrant')
    .description('withdraw sessions from a token (by id, or an enrolled node id); its nodes leave them at once')
    .argument('<id>')
    .argument('<sessions>', 'comma-separated session names'),
).action(async (id: string, sessions: string, opts) => {
  const record = await withStore(opts, (store, t) => t.changeGrants(store, id, parseGrantList(sessions, 'sessions'), 'remove'));
  process.stderr.write(`token ${record.id} now grants ${record.sessions!.join(',') || '(nothing)'}\n`);
});
storeOptions(
  token.command('reset').description('re-enrol a node id (reinstalled, or its credential lost): revokes its credentials').argument('<node>'),
).action(async (node: string, opts) => {
  const { revoked } = await withStore(opts, (store, t) => t.resetNode(store, node));
  process.stderr.write(`node ${node} reset (revoked ${revoked.join(', ') || 'nothing'}); it enrols again with a shared token\n`);
});

registerOpsCommands(program);
registerPushCommand(program);
program
  .command('demo')
  .description('a hub and 3 local nodes in a temp folder, driven through every tool with a readable transcript; everything is cleaned up')
  .action(async () => {
    await (await import('./demo/demo.js')).runDemo({ out: process.stdout });
    process.exit(0);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = toMeshError(err);
  process.stderr.write(`mesh-assistant: ${e.code}: ${e.message}\n`);
  process.exit(1);
});
