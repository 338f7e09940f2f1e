// A hub process for benchmarks: the real Hub (and, with --http, its MCP
// server over Streamable HTTP), driven by JSON lines on stdin so that a
// scenario can push, read status and reset the event-loop histogram.
//
//   node --import tsx bench/lib/hub-driver.ts --data D --grpc 127.0.0.1:P --source-root S [--http 127.0.0.1:0]
//   stdin:  {"id":1,"op":"push","session":"s","source":"big.bin","dest":"x.bin"}
//   stdout: {"ready":true,"grpc":"...","http":"..."} then {"id":1,"result":{...}} or {"id":1,"error":{...}}
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { toMeshError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { serveHttp } from '../../src/mcp/http.js';
import { Hub } from '../../src/mesh/hub/hub.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    grpc: { type: 'string', default: '127.0.0.1:0' },
    http: { type: 'string' },
    'source-root': { type: 'string', multiple: true, default: [] },
    drift: { type: 'string', default: 'report' },
    tokens: { type: 'string', default: 'bench-token' },
  },
});

const log = createLogger('hub', process.env.MESH_LOG_LEVEL ?? 'info');
const hub = await Hub.start({
  dataDir: values.data!,
  grpcAddress: values.grpc!,
  nodeTokens: values.tokens!.split(','),
  sourceRoots: values['source-root']!,
  // Benchmarks delete node copies between runs; repairing them would add traffic nobody asked for.
  driftMode: values.drift === 'repair' ? 'repair' : 'report',
  autoPromote: false,
  log,
});
const http = values.http ? await serveHttp(hub, { address: values.http }, log) : undefined;

const say = (obj: unknown): void => void process.stdout.write(`${JSON.stringify(obj)}\n`);
say({ ready: true, grpc: hub.grpcAddress, http: http?.url });

interface Command {
  id: number;
  op: 'push' | 'status' | 'reset-loop-delay' | 'cancel';
  session?: string;
  source?: string;
  dest?: string;
  /** For cancel: the id of the push command to abort. */
  pushId?: number;
}

const pushes = new Map<number, AbortController>();

async function execute(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'push': {
      const abort = new AbortController();
      pushes.set(cmd.id, abort);
      try {
        return await hub.push(cmd.session!, cmd.source!, cmd.dest, { signal: abort.signal });
      } finally {
        pushes.delete(cmd.id);
      }
    }
    case 'status':
      return hub.status();
    case 'reset-loop-delay':
      hub.resetEventLoopDelay();
      return { reset: true };
    case 'cancel':
      pushes.get(Number(cmd.pushId))?.abort();
      return { cancelled: true };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line) as Command;
  execute(cmd).then(
    (result) => say({ id: cmd.id, result }),
    (err: unknown) => say({ id: cmd.id, error: toMeshError(err).toJSON() }),
  );
});

// Closing stdin is the graceful stop (a --cpu-prof profile is written on exit).
process.stdin.on('end', () => {
  void (async () => {
    await http?.close().catch(() => {});
    await hub.stop();
    process.exit(0);
  })();
});
