// Request bodies of the HTTP endpoint: the byte budget shared by every
// request in flight, and reading one JSON body within it. The hub reads and
// parses bodies itself (the SDK gets the parsed message), so no body is ever
// buffered outside the budget.
import type { IncomingMessage } from 'node:http';

/**
 * Bytes of request bodies in flight, across every request. Guarded by the
 * event loop: reserve and release run on it only.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /**
   * Reserve `bytes`; returns the function that gives them back (calling it
   * again does nothing), or undefined, reserving nothing, when the budget
   * cannot hold them.
   */
  reserve(bytes: number): (() => void) | undefined {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || this.used + bytes > this.capacity) return undefined;
    this.used += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.used -= bytes;
    };
  }
}

export type BodyPlan = { ok: true; reserve: number; declared: number | undefined } | { ok: false; declared: number };

/**
 * What a request must reserve before its body is read: its Content-Length,
 * or `maxBytes` when it sends none (chunked). A declared length over
 * `maxBytes` is refused before anything is read.
 */
export function planBody(contentLength: string | undefined, maxBytes: number): BodyPlan {
  if (contentLength === undefined || !/^\d{1,16}$/.test(contentLength.trim())) return { ok: true, reserve: maxBytes, declared: undefined };
  const declared = Number(contentLength.trim());
  return declared > maxBytes ? { ok: false, declared } : { ok: true, reserve: declared, declared };
}

export type BodyRead = { kind: 'json'; value: unknown } | { kind: 'too-large' } | { kind: 'invalid-json' };

/**
 * Read the whole body of `req` and parse it as JSON. A declared length is
 * read into one buffer of that size; without one, chunks are kept until
 * `maxBytes` is passed, then the read stops with 'too-large'. Rejects when
 * the client goes away or the request times out mid-body.
 */
export async function readJsonBody(req: IncomingMessage, declared: number | undefined, maxBytes: number): Promise<BodyRead> {
  const bytes = await readBytes(req, declared, maxBytes);
  if (bytes === undefined) return { kind: 'too-large' };
  try {
    return { kind: 'json', value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { kind: 'invalid-json' };
  }
}

function readBytes(req: IncomingMessage, declared: number | undefined, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const whole = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      // The HTTP parser never delivers more than Content-Length; the check
      // keeps a broken peer from writing past the buffer all the same.
      if (received + chunk.length > (declared ?? maxBytes)) {
        // Stop keeping the body; the refusal's answer throws the rest away.
        cleanup();
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      if (whole) chunk.copy(whole, received);
      else chunks.push(chunk);
      received += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      if (whole) resolve(received === whole.length ? whole : whole.subarray(0, received));
      else resolve(Buffer.concat(chunks, received));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client went away before sending the whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
