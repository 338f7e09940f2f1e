// BLAKE3, the hash a node checks each chunk it receives with, when the hub
// sent one. SHA-256 stays the content hash (content-hash.ts: what a user
// checks by hand, what resume and the mirror compare); BLAKE3 only makes the
// one pass over every received byte cheap: about 4.5 GB/s a core here with
// the prebuilt native module, against 1.2 GB/s for SHA-256, so a node spends
// about 0.2 s per GiB verifying instead of 0.85 s. The hub computes both
// hashes of a chunk from the same bytes in the same pass (hash-thread.ts),
// so a chunk whose BLAKE3 matches is the chunk whose SHA-256 the hub recorded.
//
// The module is optional: a platform without a prebuilt binary (or the MCP
// Bundle, which ships no native module) simply has no BLAKE3; the hub then
// sends none and nodes check SHA-256 as before.
import { createRequire } from 'node:module';
import { faultValue } from '../faults.js';
import { isHex256 } from './hash.js';

const MODULE = '@napi-rs/blake-hash';

export interface Blake3Hasher {
  update(input: Uint8Array): unknown;
  digest(format: 'hex'): string;
}

interface Blake3Module {
  Blake3Hasher: new () => Blake3Hasher;
}

let loaded: { module: Blake3Module; path: string } | null | undefined;

function load(): { module: Blake3Module; path: string } | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  // The no-blake3 fault (faults.ts) stands for a machine without the module.
  if (faultValue('no-blake3') !== undefined) return loaded;
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(MODULE);
    const module = require(path) as Blake3Module;
    if (typeof module.Blake3Hasher === 'function') loaded = { module, path };
  } catch {
    // no prebuilt binary for this platform: SHA-256 only
  }
  return loaded;
}

/** A new BLAKE3 hasher, or undefined on a machine without the module. */
export function newBlake3(): Blake3Hasher | undefined {
  const b3 = load();
  return b3 ? new b3.module.Blake3Hasher() : undefined;
}

/** The module's file, for a thread that loads it itself (hash-thread.ts); undefined without one. */
export function blake3ModulePath(): string | undefined {
  return load()?.path;
}

/** A BLAKE3 digest as nodes receive it: 64 lowercase hex characters. */
export function isBlake3Hex(value: unknown): value is string {
  return isHex256(value);
}

/** An entry of a per-chunk BLAKE3 list (DeliverRequest, DeliverReply): a digest, or empty for a chunk checked with SHA-256. */
export function isBlake3Entry(value: unknown): value is string {
  return value === '' || isBlake3Hex(value);
}

/**
 * The first chunk a node says it checked against a BLAKE3 other than the one
 * staged for it (`checked[i]` empty: checked with SHA-256, bound through the
 * file hash), or undefined when there is none. A piece carries its own
 * BLAKE3, so a chunk checked by it is bound to what the hub staged only by
 * this comparison.
 */
export function blake3Mismatch(checked: readonly string[], staged: readonly { blake3?: string }[]): number | undefined {
  for (let i = 0; i < checked.length; i++) {
    if (checked[i] !== '' && checked[i] !== staged[i]?.blake3) return i;
  }
  return undefined;
}
