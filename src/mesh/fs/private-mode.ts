// Private by default: the data folder, node workspaces and everything the
// mesh creates in them are for their owner only, whatever the umask. Modes
// are passed explicitly at creation (a mode only loses bits to the umask, it
// never gains any); a root found open to others is tightened once at start.
import fs from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { Logger } from '../../log.js';

/** Folders the mesh creates: rwx for the owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Files the mesh creates: rw for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Executable files the mesh creates (skill scripts): rwx for the owner only. */
export const PRIVATE_EXEC_MODE = 0o700;

/** proper-lockfile's `fs` option: its lock folders created owner-only whatever the umask. */
export const privateLockFs = {
  ...fs,
  mkdir: (dir: string, callback: (err: NodeJS.ErrnoException | null) => void) => fs.mkdir(dir, { mode: PRIVATE_DIR_MODE }, (err) => callback(err)),
};

/** Bits that let group or other users in. */
const OPEN_BITS = 0o077;

/**
 * Create `dir` (and its missing parents) 0700, or tighten an existing one
 * whose mode lets group or other users in, with one warning naming it.
 * `what` names the folder in the warning ("data folder", "workspace").
 */
export async function ensurePrivateRoot(dir: string, log: Logger, what: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(dir);
  if ((mode & OPEN_BITS) === 0) return;
  // Security: a data folder readable by others hands out the store (token
  // hashes, memberships) and every session's files to any local user.
  await chmod(dir, PRIVATE_DIR_MODE);
  log.warn({ dir, was: (mode & 0o777).toString(8), now: PRIVATE_DIR_MODE.toString(8) }, `${what} was open to other users; tightened to owner only`);
}
