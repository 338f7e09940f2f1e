// Pure rules for a session entry that symlink inversion set aside: which of
// its files the library copy does not hold byte for byte (what removing it
// would destroy), which names are the mesh's own leftovers, and the name of
// the folder a differing entry is kept under. No I/O, so property-tested.
import { createHash } from 'node:crypto';

/** One entry found in a set-aside folder; folders themselves hold no data and are not listed. */
export interface AsideEntry {
  /** Relative to the set-aside folder, "/" separators; "." for the entry itself when it is not a folder. */
  path: string;
  kind: 'file' | 'link' | 'special';
  /** Bytes (files only). */
  size: number;
  /** SHA-256 (hex), present when it was worth computing: a library file of the same path and size exists. */
  sha256?: string;
}

/** One file of the library copy, as the comparison sees it. */
export interface LibraryFileDigest {
  size: number;
  /** SHA-256 (hex), when computed. */
  sha256?: string;
}

export interface AsideDiff {
  /** Paths the library copy also has, with other bytes (or not as a regular file). */
  changed: string[];
  /** Paths the library copy does not have. */
  added: string[];
}

/** Most file names listed per kept folder in results and logs; the folder itself keeps everything. */
export const KEPT_LIST_MAX = 100;

// `.<name>.tmp-<12 hex>`: a durable write's temp file (fs/durable.ts tempPathFor).
const TEMP_RE = /^\..+\.tmp-[0-9a-f]{12}$/;
// `.<name>.part-<transfer id>`: a node's partial delivery (node/deliverer.ts partPathFor), fetched again when lost.
const PART_RE = /^\..+\.part-[0-9a-f]{8,64}$/;

/**
 * True for the mesh's own temporary names, the only names the comparison
 * ignores: their content is either incomplete or held elsewhere.
 */
export function isMeshTempName(name: string): boolean {
  return TEMP_RE.test(name) || PART_RE.test(name);
}

function baseName(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/**
 * What removing the set-aside folder would lose: its files that the library
 * copy lacks (`added`) or holds with other bytes (`changed`). Files only the
 * library has are not a loss and are not reported. Links and special files
 * are never "the same" as a library file. Sorted, duplicates removed.
 */
export function diffAside(entries: readonly AsideEntry[], library: ReadonlyMap<string, LibraryFileDigest>): AsideDiff {
  const changed = new Set<string>();
  const added = new Set<string>();
  for (const entry of entries) {
    if (isMeshTempName(baseName(entry.path))) continue;
    const lib = library.get(entry.path);
    if (!lib) added.add(entry.path);
    else if (entry.kind !== 'file' || entry.size !== lib.size || entry.sha256 === undefined || entry.sha256 !== lib.sha256) {
      changed.add(entry.path);
    }
  }
  return { changed: [...changed].sort(), added: [...added].sort() };
}

/**
 * Name of the folder an entry set aside from `sitePath` is kept under:
 * `<site hash>-<UTC time>-<hex>`. It starts with a digit or letter and holds
 * "-" and "T", so it is never a version number, and the random part makes it
 * unique for two keeps of one site in the same second.
 */
export function keptFolderName(sitePath: string, at: Date, hex: string): string {
  const site = createHash('sha256').update(sitePath).digest('hex').slice(0, 12);
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${site}-${stamp}-${hex}`;
}
