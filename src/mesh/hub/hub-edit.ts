// `edit` for the hub core: read the mirror's copy, apply exact-text edits
// (fs/text-edit.ts), and write the result like `write` does, but only if
// the file is still what was read (compare-and-swap on its SHA-256, under
// the path's lock). Edits of one file queue on that lock, so the second of
// two concurrent edits sees the first's result, or fails saying why.
import { MeshError } from '../../errors.js';
import { contentHashOf } from '../fs/content-hash.js';
import { normalizeSessionPath } from '../fs/paths.js';
import { openExistingInside } from '../fs/safe-walk.js';
import { applyEdits, type TextEdit } from '../fs/text-edit.js';
import { unifiedDiff } from '../fs/unified-diff.js';
import type { WriteResult } from './hub.js';
import { MAX_WRITE_BYTES } from './hub-options.js';

/** Times an edit re-reads and re-applies after losing a race, before EDIT_CONFLICT. */
const MAX_EDIT_ATTEMPTS = 5;

export interface EditResult extends Partial<WriteResult> {
  session: string;
  path: string;
  diff: string;
  dryRun: boolean;
  /** SHA-256 of the content the edits were applied to. */
  baseSha256: string;
}

export interface EditDeps {
  mirrorRoot(session: string): string;
  requireSession(session: string): void;
  /** Run `fn` holding the path's lock (the one `write` takes). */
  withLock<T>(session: string, rel: string, fn: () => Promise<T>): Promise<T>;
  /**
   * `write`'s mirror commit with a compare-and-swap, the lock already held: lands only if the mirror copy
   * still hashes to `expectSha256`. Resolves to the wait for the nodes' outcomes, run once the lock is let go.
   */
  commitIfUnchanged(session: string, rel: string, data: Buffer, expectSha256: string): Promise<() => Promise<WriteResult>>;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The mirror's copy as text; the same size limit as `write`. */
async function readText(root: string, rel: string): Promise<{ text: string; sha256: string }> {
  const opened = await openExistingInside(root, rel);
  try {
    if (!opened.file) throw new MeshError('NOT_A_FILE', `"${rel}" is a folder; edit a file`);
    if (opened.stat.size > MAX_WRITE_BYTES) throw new MeshError('TOO_LARGE', `"${rel}" is ${opened.stat.size} bytes; edit works on files up to ${MAX_WRITE_BYTES} bytes`);
    const data = await opened.file.readFile();
    let text: string;
    try {
      text = strictUtf8.decode(data);
    } catch {
      text = '\0';
    }
    if (text.includes('\0')) throw new MeshError('BINARY_CONTENT', `"${rel}" is binary (NUL bytes or invalid UTF-8); edit works on text`);
    return { text, sha256: contentHashOf(data) };
  } finally {
    await opened.close();
  }
}

export async function editFile(deps: EditDeps, session: string, rel: string, edits: readonly TextEdit[], dryRun: boolean): Promise<EditResult> {
  const p = normalizeSessionPath(rel);
  deps.requireSession(session);
  for (let attempt = 1; ; attempt++) {
    try {
      // Read, apply and write under the path's lock: concurrent edits and writes queue behind one another, so
      // each edit applies to the result of the one before it. The hash check inside the write catches anything
      // that changed the file without the lock.
      const step = await deps.withLock(session, p, async () => {
        const before = await readText(deps.mirrorRoot(session), p);
        const after = applyEdits(before.text, edits);
        const diff = unifiedDiff(before.text, after, p);
        const base = { session, path: p, diff, dryRun, baseSha256: before.sha256 };
        if (dryRun) return { base };
        return { base, finish: await deps.commitIfUnchanged(session, p, Buffer.from(after, 'utf8'), before.sha256) };
      });
      // The nodes' outcomes are awaited without the lock: the next edit of this file need not wait for them.
      return step.finish ? { ...(await step.finish()), ...step.base } : step.base;
    } catch (err) {
      if (!(err instanceof MeshError) || err.code !== 'EDIT_CONFLICT' || attempt >= MAX_EDIT_ATTEMPTS) throw err;
      // Changed between our read and our write: start again from the new content.
    }
  }
}
