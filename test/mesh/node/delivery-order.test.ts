// A node's delivery is durable before the node says so, seen from outside:
// strace attached to a real node agent records a chunked delivery, and
// fsync(part file) < rename < fsync(folder) < the node's "delivered" log line
// (written before its reply to the hub) must hold.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { killAll } from '../../support/processes.js';
import { attachStrace, checkDurableOrder, parseTrace, straceAvailable } from '../../support/syscall-trace.js';
import { MiB, startMesh } from '../transfer/helpers.js';

afterAll(killAll);

const haveStrace = straceAvailable();
if (!haveStrace) {
  const notice = '\n!!! strace is missing: the delivery order test is SKIPPED (apt-get install strace) !!!\n';
  if (process.env.CI === 'true') throw new Error(`${notice}CI=true: strace is required here.`);
  console.warn(notice);
}

it.skipIf(!haveStrace)('a chunked delivery: fsync(part) < rename < fsync(folder) < "delivered"', async () => {
  const mesh = await startMesh();
  try {
    await writeFile(path.join(mesh.sourceDir, 'two-chunks.bin'), randomBytes(5 * MiB));
    const node = await mesh.startNode({ id: 'n1', sessions: ['s'] });
    const traceFile = path.join(mesh.root, 'node.trace');
    const trace = await attachStrace(node.child.pid!, traceFile, ['-s', '2048', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,openat,mkdir,mkdirat,write']);
    let result: any;
    try {
      result = await mesh.hub.call({ op: 'push', session: 's', source: 'two-chunks.bin', dest: 'in/a/new/folder/two-chunks.bin' });
    } finally {
      await trace.detach();
    }
    expect(result.outcomes.map((o: any) => o.status)).toEqual(['ok']);
    const calls = parseTrace(await readFile(traceFile, 'utf8'));
    const ack = calls.find((c) => c.name === 'write' && /^2\b/.test(c.args) && c.args.includes('\\"msg\\":\\"delivered\\"'));
    expect(ack, 'the "delivered" log line in the trace').toBeDefined();
    expect(checkDurableOrder(calls, mesh.nodeFile('n1', 's', 'in/a/new/folder/two-chunks.bin'), ack)).toEqual([]);
  } finally {
    await mesh.close();
  }
}, 30_000);
