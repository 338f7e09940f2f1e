// Receiver process of the raw gRPC baseline: dials the sender, waits for "go"
// on stdin, pulls the file into its own folder (no hashing, no fsync), confirms.
// Usage: raw-grpc-receiver.ts <host:port> <receiver index> <output file>
// Prints "ready" once connected and "done <bytes> <ms> <cpu ms>" when the file is written
// (its own CPU time while pulling, user and system).
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { CLIENT_OPTIONS, loadRawTransfer, type Piece } from './raw-grpc-proto.js';

const [target, indexArg, out] = process.argv.slice(2);
if (!target || indexArg === undefined || !out) {
  process.stderr.write('usage: raw-grpc-receiver.ts <host:port> <receiver index> <output file>\n');
  process.exit(2);
}
const receiver = Number(indexArg);
const { Client } = loadRawTransfer();
const client = new Client(target, grpc.credentials.createInsecure(), CLIENT_OPTIONS);

function fail(message: string): never {
  process.stderr.write(`receiver ${receiver}: ${message}\n`);
  process.exit(1);
}

function pull(): void {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const file = createWriteStream(out!);
  let bytes = 0;
  const call = client.pull({ receiver });
  call.on('data', (piece: Piece) => {
    bytes += piece.data.length;
    if (!file.write(piece.data)) {
      call.pause();
      file.once('drain', () => call.resume());
    }
  });
  call.on('error', (err) => fail(err.message));
  call.on('end', () => file.end());
  file.on('error', (err) => fail(err.message));
  file.on('finish', () => {
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    client.confirm({ receiver }, (err) => {
      if (err) fail(err.message);
      client.close();
      process.stdout.write(`done ${bytes} ${ms.toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`, () => process.exit(0));
    });
  });
}

client.waitForReady(Date.now() + 30_000, (err) => {
  if (err) fail(`could not connect to ${target}: ${err.message}`);
  process.stdout.write('ready\n');
  const input = createInterface({ input: process.stdin });
  input.once('line', (line) => {
    input.close();
    if (line.trim() === 'go') pull();
  });
});
