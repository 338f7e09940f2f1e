// Sender process of the raw TCP baseline: serves one file to every receiver
// that connects, straight from disk, over a bare socket (no framing at all),
// with TCP as the only backpressure: the transport's own limit, which the
// fetch port's data wire stands on.
// Usage: raw-tcp-sender.ts <file> [--piece-bytes N]
// Prints "listening <port>" on stderr once ready.
import { createReadStream } from 'node:fs';
import net from 'node:net';

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: raw-tcp-sender.ts <file> [--piece-bytes N]\n');
  process.exit(2);
}
const pieceIdx = flags.indexOf('--piece-bytes');
const pieceBytes = pieceIdx >= 0 ? Number(flags[pieceIdx + 1]) : 4 * 1024 * 1024;

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  // One byte from the receiver starts its copy (so start-up stays out of the measured time).
  socket.once('data', () => createReadStream(file, { highWaterMark: pieceBytes }).pipe(socket));
});
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening ${(server.address() as net.AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
