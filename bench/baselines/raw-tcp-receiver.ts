// Receiver process of the raw TCP baseline: connects to the sender, waits for
// "go" on stdin, copies the socket into its own file (no hashing, no fsync,
// as the raw gRPC receiver), confirms.
// Usage: raw-tcp-receiver.ts <host:port> <receiver index> <output file>
// Prints "ready" once connected and "done <bytes> <ms> <cpu ms>" when the file is written.
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';

const [target, indexArg, out] = process.argv.slice(2);
if (!target || indexArg === undefined || !out) {
  process.stderr.write('usage: raw-tcp-receiver.ts <host:port> <receiver index> <output file>\n');
  process.exit(2);
}
const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];

function fail(message: string): never {
  process.stderr.write(`receiver ${indexArg}: ${message}\n`);
  process.exit(1);
}

const socket = net.connect({ host, port }, () => {
  process.stdout.write('ready\n');
  const input = createInterface({ input: process.stdin });
  input.once('line', (line) => {
    input.close();
    if (line.trim() !== 'go') return;
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const file = createWriteStream(out!);
    let bytes = 0;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.pipe(file);
    file.on('error', (err) => fail(err.message));
    file.on('finish', () => {
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuStarted);
      process.stdout.write(`done ${bytes} ${ms.toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(0)}\n`, () => process.exit(0));
    });
    socket.write('g');
  });
});
socket.on('error', (err) => fail(err.message));
