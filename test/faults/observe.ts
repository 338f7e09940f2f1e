// What the fault suite sees from outside the processes under test: the files
// in a folder with their SHA-256, and temp files left behind. (strace, the
// other outside observer, is in test/support/syscall-trace.ts.)
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../mesh/transfer/helpers.js';
import type { Observed } from './model.js';

/** Every regular file below `root` (relative path -> SHA-256), temp files excluded; a missing root is empty. */
export async function observeFiles(root: string): Promise<Observed> {
  const out: Observed = new Map();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 16) return; // bounded: the suite never nests deeper
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && !isTempName(e.name)) {
        const sha = await sha256File(full).catch(() => undefined);
        if (sha !== undefined) out.set(path.relative(root, full), sha);
      }
    }
  };
  await walk(root, 0);
  return out;
}

const TEMP_SUFFIX = /\.(tmp|part)-[0-9a-f]+$/;

/** A name the mesh uses for a file that must not outlive its operation. */
export function isTempName(name: string): boolean {
  return TEMP_SUFFIX.test(name);
}

/** The name a temp or part file stands for: `.<name>.tmp-<hex>` -> `<name>`. */
export function tempTarget(name: string): string {
  return name.replace(/^\./, '').replace(TEMP_SUFFIX, '');
}

/** Temp and part files anywhere below `root` (paths relative to it). */
export async function tempFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 16) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (isTempName(e.name)) found.push(path.relative(root, full));
    }
  };
  await walk(root, 0);
  return found;
}
