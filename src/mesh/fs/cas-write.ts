// Compare-and-swap for a whole mirror file: the new content replaces the old
// only if the old is still what the caller read (by SHA-256). Used by `edit`
// so that two edits of one file never lose one another's change: the caller
// holds the path's lock (hub/path-locks.ts), and this check catches any
// writer that does not take it. Same durability as safe-write.ts.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { MeshError, toMeshError } from '../../errors.js';
import { tempNameFor } from './durable.js';
import { hashHandle } from './hash.js';
import { PRIVATE_FILE_MODE } from './private-mode.js';
import { checkWriteTarget, commitAt, openParentForWrite, openRegularAt, removeAt } from './safe-write.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** SHA-256 of the regular file `rel` below `root` now, or undefined when there is none. */
async function currentSha(dir: Parameters<typeof openRegularAt>[0], name: string): Promise<string | undefined> {
  const handle = await openRegularAt(dir, name);
  if (!handle) return undefined;
  try {
    return await hashHandle(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Write `data` as `rel` durably if the file still hashes to `expectedSha256`;
 * otherwise EDIT_CONFLICT and nothing changes. The temp file is written and
 * fsynced first, so the check sits right before the rename.
 */
export async function writeFileIfUnchanged(root: string, rel: string, data: Uint8Array, expectedSha256: string): Promise<void> {
  const { dir, name } = await openParentForWrite(root, rel);
  try {
    await checkWriteTarget(dir, name, rel);
    const temp = tempNameFor(name);
    // Security: O_EXCL creates a new entry or fails; it never opens a link planted under the temp name.
    const handle = await open(dir.at(temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, PRIVATE_FILE_MODE).catch((err: unknown) => {
      throw toMeshError(err);
    });
    try {
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const now = await currentSha(dir, name);
      if (now !== expectedSha256) {
        throw new MeshError('EDIT_CONFLICT', `"${rel}" changed since it was read (${now === undefined ? 'it is gone' : 'its content differs'}); nothing was written`, { path: rel });
      }
      await commitAt(dir, temp, name, rel);
    } catch (err) {
      await removeAt(dir, temp).catch(() => {});
      throw toMeshError(err);
    }
  } finally {
    await dir.close();
  }
}
