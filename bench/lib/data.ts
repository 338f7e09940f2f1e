// Test files for transfer benchmarks: half text that compresses well, half
// random bytes that do not, so both paths of "compress once" are exercised.
import { randomFill } from 'node:crypto';
import { hashFile } from '../../src/mesh/fs/hash.js';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

/** Fill `buf` with random bytes off the event loop (libuv thread pool). */
function randomFillAsync(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => randomFill(buf, (err, filled) => (err ? reject(err) : resolve(filled))));
}

/** Size of one write, and of one text or random stretch, in bytes (the hub's chunk size). */
export const PIECE_BYTES = 4 * 1024 * 1024;

const WORDS = (
  'mesh node session mirror chunk transfer manifest drift skill promote hub agent stream fetch ' +
  'verify compress resume lane buffer window latency throughput durable rename fsync folder path ' +
  'the a of and to in is that for on with as by at from this be are or an it not will'
).split(' ');

/** Small deterministic generator (mulberry32) so text pieces are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One piece of English-like text lines (compresses about 3-4x with gzip). */
function textBlock(bytes: number, seed: number): Buffer {
  const next = prng(seed);
  const parts: string[] = [];
  let len = 0;
  let line = 0;
  while (len < bytes) {
    const words = 6 + Math.floor(next() * 10);
    let s = `${line++}:`;
    for (let i = 0; i < words; i++) s += ` ${WORDS[Math.floor(next() * WORDS.length)]}`;
    s += '\n';
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

export interface TestFile {
  path: string;
  bytes: number;
  /** The mesh's content hash of the file (src/mesh/fs/content-hash.ts), hex. */
  sha256: string;
}

/**
 * Write a file of `bytes` bytes: even 4 MiB pieces are text, odd ones random
 * (files under 8 MiB are split into one text half and one random half).
 * Written piece by piece with async I/O; memory stays at a few pieces.
 */
export async function makeTestFile(file: string, bytes: number, seed = 1): Promise<TestFile> {
  const piece = bytes >= 2 * PIECE_BYTES ? PIECE_BYTES : Math.max(1, Math.ceil(bytes / 2));
  // One text block, rotated differently for each piece so no two pieces are equal.
  const text = textBlock(piece, seed);
  const random = Buffer.allocUnsafe(piece);
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'w');
  try {
    let written = 0;
    for (let i = 0; written < bytes; i++) {
      const n = Math.min(piece, bytes - written);
      let buf: Buffer;
      if (i % 2 === 0) {
        const shift = (i * 7919 * 64) % piece;
        buf = Buffer.concat([text.subarray(shift), text.subarray(0, shift)]).subarray(0, n);
      } else {
        buf = (await randomFillAsync(random)).subarray(0, n);
      }
      await handle.write(buf, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return { path: file, bytes, sha256: await hashFile(file) };
}
