// A hub in a child process that tests and benchmarks drive without an MCP
// client: JSON commands on stdin, JSON answers on stdout, logs on stderr.
// Lets a test SIGKILL the hub in the middle of a push and start it again on
// the same data folder; with --http it also serves MCP (benchmarks measure
// tool latency through it; the bearer token, from <data>/http-token or
// MESH_HTTP_TOKEN, is in the ready line). Closing stdin stops it gracefully (a --cpu-prof
// profile is then written).
//
//   node --import tsx test/support/hub-driver.ts --data D --grpc 127.0.0.1:P [--source-root S] [--store URL] [--drift report] [--http 127.0.0.1:0] [--tls-cert C --tls-key K [--tls-ca CA]]
//   stdin:  {"id":1,"op":"push","session":"s","source":"big.bin"}
//   stdout: {"ready":true,"grpc":"127.0.0.1:P","http":"...","httpToken":"mesh_http_..."} then {"id":1,"result":{...}} or {"id":1,"error":{"code":...}}
// Any command may carry "delayMs" (start that much later: race tests stagger
// commands sent together); "promote" may carry "plant" (write a file into the
// mirror directly at a promotion step, as something outside the mesh would).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { toMeshError } from '../../src/errors.js';
import { serveHttp } from '../../src/mcp/http.js';
import { resolveHttpToken } from '../../src/mcp/http-token.js';
import { createLogger } from '../../src/log.js';
import { Hub } from '../../src/mesh/hub/hub.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    grpc: { type: 'string', default: '127.0.0.1:0' },
    'grpc-fetch': { type: 'string' },
    store: { type: 'string' },
    http: { type: 'string' },
    'source-root': { type: 'string', multiple: true, default: [] },
    drift: { type: 'string', default: 'repair' },
    'auto-promote': { type: 'boolean', default: false },
    'auto-promote-quiet-ms': { type: 'string', default: '300' },
    tokens: { type: 'string', default: 'test-token' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
  },
});

const log = createLogger('hub', process.env.MESH_LOG_LEVEL ?? 'info');
const hub = await Hub.start({
  dataDir: values.data!,
  storeUrl: values.store,
  grpcAddress: values.grpc!,
  grpcFetchAddress: values['grpc-fetch'],
  tls: values['tls-cert'] && values['tls-key'] ? { cert: values['tls-cert'], key: values['tls-key'], ca: values['tls-ca'] } : undefined,
  nodeTokens: values.tokens!.split(','),
  sourceRoots: values['source-root']!,
  driftMode: values.drift === 'report' ? 'report' : 'repair',
  autoPromote: values['auto-promote']!,
  autoPromoteQuietMs: Number(values['auto-promote-quiet-ms']),
  log,
});
const httpToken = values.http ? (await resolveHttpToken(values.data!, process.env.MESH_HTTP_TOKEN || undefined)).token : undefined;
const http = values.http ? await serveHttp(hub, { address: values.http, auth: true, token: httpToken }, log) : undefined;
if (http) await hub.announceHttp(http.url);

const say = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');
say({ ready: true, grpc: hub.grpcAddress, grpcFetch: hub.status().grpcFetch, http: http?.url, httpToken });

interface Command {
  id: number;
  op: 'push' | 'write' | 'status' | 'ls' | 'cat' | 'cancel' | 'promote' | 'reset-loop-delay';
  skill?: string;
  replace?: boolean;
  session?: string;
  source?: string;
  dest?: string;
  path?: string;
  content?: string;
  node?: string;
  /** For cancel: the id of the push command to abort. */
  pushId?: number;
  /** Start the command this many ms after it arrives. */
  delayMs?: number;
  /** For promote: at step `at`, write `content` to `path` (relative to the session mirror). */
  plant?: { at: string; path: string; content: string };
}

const running = new Map<number, AbortController>();

async function execute(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'push': {
      const abort = new AbortController();
      running.set(cmd.id, abort);
      try {
        return await hub.push(cmd.session!, cmd.source!, cmd.dest, { signal: abort.signal });
      } finally {
        running.delete(cmd.id);
      }
    }
    case 'write':
      return hub.write(cmd.session!, cmd.path!, Buffer.from(cmd.content ?? '', 'utf8'));
    case 'status':
      return hub.status();
    case 'ls':
      return hub.files.ls(cmd.session!, cmd.path ?? '.', cmd.node);
    case 'cat':
      return (await hub.files.cat(cmd.session!, cmd.path!, { node: cmd.node })).map((a) =>
        a.ok ? { ...a, value: { ...a.value, data: a.value.data.toString('utf8') } } : a,
      );
    case 'promote': {
      const plant = cmd.plant;
      const stepHook = plant
        ? async (step: string) => {
            if (step !== plant.at) return;
            const file = path.join(hub.mirrorRoot(cmd.session!), plant.path);
            await mkdir(path.dirname(file), { recursive: true });
            await writeFile(file, plant.content);
          }
        : undefined;
      return hub.skills.promote(cmd.session!, cmd.skill!, { replace: cmd.replace, stepHook });
    }
    case 'reset-loop-delay':
      hub.resetEventLoopDelay();
      return { reset: true };
    case 'cancel':
      running.get(Number(cmd.pushId))?.abort();
      return { cancelled: true };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line) as Command;
  const start = cmd.delayMs ? new Promise((resolve) => setTimeout(resolve, cmd.delayMs)) : Promise.resolve();
  start.then(() => execute(cmd)).then(
    (result) => say({ id: cmd.id, result }),
    (err) => say({ id: cmd.id, error: toMeshError(err).toJSON() }),
  );
});
// SIGTERM as the CLI handles it: pending push and write calls are answered
// (HUB_STOPPING, their transfer continues after a restart), then the hub stops.
process.once('SIGTERM', () => {
  void (async () => {
    hub.stopAccepting();
    await new Promise((resolve) => setImmediate(resolve));
    await http?.close().catch(() => {});
    await hub.stop();
    process.exit(0);
  })();
});
process.stdin.on('end', () => {
  void (async () => {
    await http?.close().catch(() => {});
    await hub.stop();
    process.exit(0);
  })();
});
