// Sender process of the raw gRPC baseline: serves one file to every receiver
// that pulls it, straight from disk, with HTTP/2 flow control as backpressure.
// Usage: raw-grpc-sender.ts <file> [--sequential] [--piece-bytes N]
// Prints "listening <port>" on stderr once ready.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_PIECE_BYTES, loadRawTransfer, SERVER_OPTIONS, type Piece, type PullRequest } from './raw-grpc-proto.js';

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: raw-grpc-sender.ts <file> [--sequential] [--piece-bytes N]\n');
  process.exit(2);
}
const sequential = flags.includes('--sequential');
const pieceIdx = flags.indexOf('--piece-bytes');
const pieceBytes = pieceIdx >= 0 ? Number(flags[pieceIdx + 1]) : DEFAULT_PIECE_BYTES;

// Sequential mode: receiver i is served only after receiver i-1 confirmed.
let turn = 0;
const turnWaiters = new Map<number, () => void>();
function waitTurn(receiver: number): Promise<void> {
  if (!sequential || receiver === turn) return Promise.resolve();
  return new Promise((resolve) => turnWaiters.set(receiver, resolve));
}
function nextTurn(): void {
  turn++;
  turnWaiters.get(turn)?.();
  turnWaiters.delete(turn);
}

async function pull(call: grpc.ServerWritableStream<PullRequest, Piece>): Promise<void> {
  await waitTurn(call.request.receiver);
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  const stream = createReadStream(file!, { highWaterMark: pieceBytes });
  try {
    for await (const data of stream) {
      if (cancelled) break;
      if (!call.write({ data: data as Buffer })) await once(call, 'drain');
    }
    call.end();
  } catch (err) {
    call.destroy(err instanceof Error ? err : new Error(String(err)));
  } finally {
    stream.destroy();
  }
}

const { service } = loadRawTransfer();
const server = new grpc.Server(SERVER_OPTIONS);
server.addService(service, {
  pull: (call: grpc.ServerWritableStream<PullRequest, Piece>) => void pull(call),
  confirm: (call: grpc.ServerUnaryCall<PullRequest, object>, cb: grpc.sendUnaryData<object>) => {
    if (sequential && call.request.receiver === turn) nextTurn();
    cb(null, {});
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`bind failed: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
