// SharedPieces lends one read of a piece to every stream asking for it. The
// property: whatever the interleaving of streams asking, releasing and going
// away (and reads failing), a frame a stream holds, or abandoned while its
// socket may still send it, keeps exactly its piece's bytes; a piece held by
// some stream is never read a second time; idle pieces stay within the limit.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { SharedPieces } from '../../../src/mesh/hub/shared-pieces.js';

const CAPACITY = 80;
/** The bytes of piece `p`: a different length and fill per piece, so a reused buffer shows. */
const bytesOf = (p: number) => Buffer.alloc(16 + p * 7, p + 1);

type Op =
  | { t: 'acquire'; reader: number; piece: number; fails: boolean }
  | { t: 'release'; reader: number; slot: number }
  | { t: 'abandon'; reader: number; slot: number }
  | { t: 'tick' };

// Weighted towards streams asking for the same few pieces, so sharing (and its mistakes) happen in most runs.
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('acquire' as const), reader: fc.nat(3), piece: fc.nat(3), fails: fc.nat(4).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('release' as const), reader: fc.nat(3), slot: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abandon' as const), reader: fc.nat(3), slot: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'tick' as const }) },
);

const tick = () => new Promise<void>((r) => setImmediate(r));

it('never changes a frame a stream holds or abandoned, and reads a held piece once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 2 }), async (ops, idlePieces) => {
      const limit = idlePieces * CAPACITY;
      const pieces = new SharedPieces(limit);
      const file = 'data';
      for (let r = 0; r < 4; r++) pieces.open(file);
      const held: Array<Array<{ piece: number; frame: Buffer }>> = [[], [], [], []];
      const abandoned: Array<{ piece: number; frame: Buffer }> = [];
      const pending: Array<Promise<unknown>> = [];
      /** Streams holding (or waiting on) each piece. */
      const holders = new Map<number, number>();
      const fills = new Map<number, number>();
      const hold = (p: number, d: number) => holders.set(p, (holders.get(p) ?? 0) + d);

      for (const o of ops) {
        if (o.t === 'tick') await tick();
        if (o.t === 'acquire') {
          const alreadyHeld = (holders.get(o.piece) ?? 0) > 0;
          const fillsBefore = fills.get(o.piece) ?? 0;
          hold(o.piece, 1);
          const got = pieces.acquire({
            file,
            key: `p${o.piece}`,
            capacity: CAPACITY,
            fill: async (buffer) => {
              fills.set(o.piece, (fills.get(o.piece) ?? 0) + 1);
              await tick();
              if (o.fails) throw new Error('EIO');
              const data = bytesOf(o.piece);
              data.copy(buffer);
              return buffer.subarray(0, data.length);
            },
          });
          // A piece some stream holds is shared, never read again.
          if (alreadyHeld) expect(fills.get(o.piece) ?? 0).toBe(fillsBefore);
          pending.push(
            got.then(
              (frame) => {
                expect(frame.equals(bytesOf(o.piece))).toBe(true);
                held[o.reader]!.push({ piece: o.piece, frame });
              },
              () => hold(o.piece, -1),
            ),
          );
        }
        if (o.t === 'release' || o.t === 'abandon') {
          const mine = held[o.reader]!;
          if (mine.length === 0) continue;
          const [h] = mine.splice(o.slot % mine.length, 1);
          // Unchanged all the while it was held.
          expect(h!.frame.equals(bytesOf(h!.piece))).toBe(true);
          if (o.t === 'release') {
            pieces.release(h!.frame);
          } else {
            pieces.abandon(h!.frame);
            abandoned.push(h!);
          }
          hold(h!.piece, -1);
        }
      }
      await Promise.all(pending);
      for (const mine of held) for (const h of mine.splice(0)) expect(h.frame.equals(bytesOf(h.piece))).toBe(true);
      // An abandoned frame may still be on a socket: no later read reused its buffer.
      for (const a of abandoned) expect(a.frame.equals(bytesOf(a.piece))).toBe(true);
    }),
    { numRuns: 4000 },
  );
});

it('keeps idle pieces within the limit and drops them with the last stream of their file', async () => {
  const pieces = new SharedPieces(2 * CAPACITY);
  pieces.open('f');
  let reads = 0;
  const source = (p: number) => ({
    file: 'f',
    key: `p${p}`,
    capacity: CAPACITY,
    fill: async (buffer: Buffer) => (reads++, buffer.subarray(0, bytesOf(p).copy(buffer))),
  });
  for (let p = 0; p < 4; p++) pieces.release(await pieces.acquire(source(p)));
  expect(reads).toBe(4);
  // The two most recent stay for a stream behind; older ones are read again.
  pieces.release(await pieces.acquire(source(3)));
  pieces.release(await pieces.acquire(source(2)));
  expect(reads).toBe(4);
  pieces.release(await pieces.acquire(source(0)));
  expect(reads).toBe(5);
  pieces.close('f');
  pieces.open('f');
  pieces.release(await pieces.acquire(source(0)));
  expect(reads).toBe(6);
  expect(pieces.counts()).toEqual({ reads: 6, shared: 2 });
});

it('never refills a buffer a stream abandoned, nor one another stream still holds', async () => {
  const pieces = new SharedPieces(0);
  pieces.open('f');
  const source = (p: number) => ({ file: 'f', key: `p${p}`, capacity: CAPACITY, fill: async (buffer: Buffer) => buffer.subarray(0, bytesOf(p).copy(buffer)) });
  // Two streams send piece 1; one goes away mid-write, the other finishes.
  const gone = await pieces.acquire(source(1));
  const done = await pieces.acquire(source(1));
  pieces.abandon(gone);
  pieces.release(done);
  // Two streams send piece 2; one finishes, the other is still writing.
  const first = await pieces.acquire(source(2));
  const writing = await pieces.acquire(source(2));
  pieces.release(first);
  for (let p = 3; p < 6; p++) pieces.release(await pieces.acquire(source(p)));
  expect(gone.equals(bytesOf(1))).toBe(true);
  expect(writing.equals(bytesOf(2))).toBe(true);
});
