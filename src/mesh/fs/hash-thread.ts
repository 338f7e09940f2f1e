// SHA-256 of large buffers on a thread of its own, without copying them.
//
// Why not WebCrypto on the libuv pool (sha256HexOffLoop): its digest copies
// the input on the calling thread before the pool runs, a fresh 4 MiB
// allocation and memcpy that cost the loop 1.05 ms per chunk. A buffer over
// a SharedArrayBuffer is seen by this thread as it is: the loop only posts
// a message and receives 64 hex digits, 0.06 ms per chunk.
//
// The thread runs below the loop's priority (thread-priority.ts).
import { Worker } from 'node:worker_threads';
import { BULK_THREAD_NICE } from '../thread-priority.js';
import { sha256HexOffLoop } from './hash.js';

// Evaluated by the worker, whether the process runs it as a CommonJS script
// or (under --input-type=module) as a module: hence import(), not require.
// No module to build or bundle beside this one; it lowers its priority as
// lowerThreadPriority does, by hand. Messages wait in the port until the
// listener is attached.
const WORKER_SOURCE = `
Promise.all([import('node:worker_threads'), import('node:crypto'), import('node:os')]).then(([{ parentPort, workerData }, { createHash }, os]) => {
  try { os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.nice)); } catch {}
  parentPort.on('message', (m) => {
    let reply;
    try {
      reply = { id: m.id, hex: createHash('sha256').update(new Uint8Array(m.buffer, m.offset, m.length)).digest('hex') };
    } catch (err) {
      reply = { id: m.id, error: String((err && err.message) || err) };
    }
    parentPort.postMessage(reply);
  });
});
`;

interface Reply {
  id: number;
  hex?: string;
  error?: string;
}

interface Pending {
  resolve(hex: string): void;
  reject(err: Error): void;
}

/** The running thread and the digests it owes; a thread that dies fails only its own. */
interface HashThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

let current: HashThread | undefined;
let nextId = 1;

function hashThread(): HashThread {
  if (current) return current;
  const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'mesh-hash', workerData: { nice: BULK_THREAD_NICE } });
  const thread: HashThread = { worker, pending: new Map() };
  worker.unref(); // an idle hash thread never keeps a process alive
  worker.on('message', (reply: Reply) => {
    const p = thread.pending.get(reply.id);
    if (!p) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) worker.unref();
    if (reply.hex !== undefined) p.resolve(reply.hex);
    else p.reject(new Error(`hash thread: ${reply.error ?? 'no digest'}`));
  });
  const gone = (err: Error) => {
    if (current === thread) current = undefined; // the next call starts a new thread
    for (const p of thread.pending.values()) p.reject(err);
    thread.pending.clear();
  };
  worker.on('error', gone);
  worker.on('exit', (code) => gone(new Error(`the hash thread exited with code ${code}`)));
  current = thread;
  return thread;
}

/** A zero-filled buffer over shared memory: sha256HexOnThread hashes it without a copy. */
export function allocShared(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Hex SHA-256 of `data`. Over shared memory (allocShared) it runs on the
 * hash thread with no copy; any other buffer goes to WebCrypto, which copies
 * it. `data` must not change until the promise settles.
 */
export function sha256HexOnThread(data: Uint8Array): Promise<string> {
  if (!(data.buffer instanceof SharedArrayBuffer)) return sha256HexOffLoop(data);
  const { worker, pending } = hashThread();
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (pending.size === 1) worker.ref(); // keep the process up until the digest comes back
    worker.postMessage({ id, buffer: data.buffer, offset: data.byteOffset, length: data.byteLength });
  });
}
