// SHA-256 (and BLAKE3, for nodes to verify with: blake3.ts) of large buffers
// on a thread of its own, without copying them.
//
// Why not WebCrypto on the libuv pool (sha256HexOffLoop): its digest copies
// the input on the calling thread before the pool runs, a fresh 4 MiB
// allocation and memcpy that cost the loop 1.05 ms per chunk. Here the
// buffer's memory is handed over to the hash thread (postMessage with a
// transfer list: no copy) and handed back with the digest, 0.12 ms of the
// loop per chunk.
//
// Why not shared memory (a SharedArrayBuffer both threads see): Node 20's V8
// does not count it as external memory, so dropping one never prompts a
// collection. Staging 400 chunks through fresh shared buffers grew a
// process to 2.5 GB; transferred buffers stay ordinary, collected memory.
//
// The thread runs below the loop's priority (thread-priority.ts).
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BULK_THREAD_NICE } from '../thread-priority.js';
import { blake3ModulePath, newBlake3 } from './blake3.js';
import { sha256HexOffLoop } from './hash.js';

// Evaluated by the worker, whether the process runs it as a CommonJS script
// or (under --input-type=module) as a module: hence import(), not require.
// No module to build or bundle beside this one; it lowers its priority as
// lowerThreadPriority does, by hand. Messages wait in the port until the
// listener is attached. The memory goes back with the reply, digest or not.
// The BLAKE3 module is loaded from the file the main thread resolved.
const WORKER_SOURCE = `
import('node:worker_threads').then(async ({ parentPort, workerData }) => {
  const [{ createHash }, os] = await Promise.all([import('node:crypto'), import('node:os')]);
  let Blake3Hasher;
  if (workerData.blake3) {
    try { const m = await import(workerData.blake3); Blake3Hasher = (m.default || m).Blake3Hasher; } catch {}
  }
  try { os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.nice)); } catch {}
  parentPort.on('message', (m) => {
    const reply = { id: m.id, memory: m.memory };
    try {
      const bytes = new Uint8Array(m.memory, 0, m.length);
      reply.hex = createHash('sha256').update(bytes).digest('hex');
      if (m.blake3 && Blake3Hasher) reply.b3 = new Blake3Hasher().update(bytes).digest('hex');
    } catch (err) {
      reply.error = String((err && err.message) || err);
    }
    parentPort.postMessage(reply, [m.memory]);
  });
});
`;

interface Reply {
  id: number;
  memory: ArrayBuffer;
  hex?: string;
  b3?: string;
  error?: string;
}

/** Digests, and the buffer to use from now on in place of the one given (same memory, same bytes). */
export interface Hashed {
  sha256: string;
  /** Asked for and this machine has BLAKE3 (blake3.ts). */
  blake3?: string;
  buffer: Buffer;
}

interface Pending {
  resolve(hashed: Hashed): void;
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
  const b3 = blake3ModulePath();
  const workerData = { nice: BULK_THREAD_NICE, blake3: b3 && pathToFileURL(b3).href };
  const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'mesh-hash', workerData });
  const thread: HashThread = { worker, pending: new Map() };
  worker.unref(); // an idle hash thread never keeps a process alive
  worker.on('message', (reply: Reply) => {
    const p = thread.pending.get(reply.id);
    if (!p) return;
    thread.pending.delete(reply.id);
    if (thread.pending.size === 0) worker.unref();
    if (reply.hex !== undefined) p.resolve({ sha256: reply.hex, blake3: reply.b3, buffer: Buffer.from(reply.memory) });
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

/** A buffer that owns all of its memory (Buffer.allocUnsafeSlow), so that it can be handed to the hash thread. */
function ownsItsMemory(buffer: Buffer): boolean {
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.buffer instanceof ArrayBuffer;
}

/**
 * Hex SHA-256 of `buffer`'s first `length` bytes, and their BLAKE3 when
 * `withBlake3` is set and this machine has it. A buffer that owns its memory
 * (Buffer.allocUnsafeSlow) is hashed on the hash thread with no copy: its
 * memory is handed over, so `buffer` is empty from the call on, and the
 * result's `buffer` holds the same bytes. Any other buffer (a view, a pooled
 * small one) goes to WebCrypto, which copies it (its BLAKE3 is computed on
 * the calling thread, about 1 ms for 4 MiB), and comes back as it was.
 */
export async function sha256OnThread(buffer: Buffer, length = buffer.length, withBlake3 = false): Promise<Hashed> {
  if (length < 0 || length > buffer.length) throw new RangeError(`length ${length} is outside a buffer of ${buffer.length} bytes`);
  if (!ownsItsMemory(buffer)) {
    const bytes = buffer.subarray(0, length);
    const hasher = withBlake3 ? newBlake3() : undefined;
    hasher?.update(bytes);
    return { sha256: await sha256HexOffLoop(bytes), blake3: hasher?.digest('hex'), buffer };
  }
  const { worker, pending } = hashThread();
  const id = nextId++;
  return new Promise<Hashed>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (pending.size === 1) worker.ref(); // keep the process up until the digest comes back
    const memory = buffer.buffer as ArrayBuffer;
    worker.postMessage({ id, memory, length, blake3: withBlake3 }, [memory]);
  });
}
