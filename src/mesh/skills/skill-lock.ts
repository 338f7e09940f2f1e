// Per-name lock of the skills library, shared by every process that writes
// the library (hub promotions, node installs, recovery). proper-lockfile
// gives a cross-process lock (a mkdir'd folder kept fresh by a heartbeat,
// taken over when older than the stale time); on top of it an owner token
// fences the rare case where two contenders break the same stale lock.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { MeshError } from '../../errors.js';
import { ensureDirDurable } from '../fs/durable.js';
import { PRIVATE_FILE_MODE, privateLockFs } from '../fs/private-mode.js';

export const LOCKS_DIR = '.locks';

export interface SkillLockOptions {
  /** A lock whose heartbeat stopped this long ago is taken over; ms, default 10,000 (at least 2,000). */
  staleMs?: number;
  /** Give up with LOCK_FAILED after waiting about this long; ms, default 60,000. */
  waitMs?: number;
}

export interface SkillLock {
  readonly name: string;
  /**
   * Throws LOCK_FAILED when the lock was lost (heartbeat failed, or another
   * process took it over). Called before every step that writes, so a
   * process never keeps writing after losing its lock.
   */
  assertHeld(): Promise<void>;
  /** Release; never throws (a lost lock is already released). */
  release(): Promise<void>;
}

/** Take the lock of skill `name` in `libraryRoot`, waiting for other holders. */
export async function acquireSkillLock(libraryRoot: string, name: string, options: SkillLockOptions = {}): Promise<SkillLock> {
  const staleMs = Math.max(options.staleMs ?? 10_000, 2000);
  const waitMs = options.waitMs ?? 60_000;
  const locksDir = path.join(path.resolve(libraryRoot), LOCKS_DIR);
  await ensureDirDurable(locksDir);
  const target = path.join(locksDir, name);
  const ownerFile = `${target}.owner`;
  const token = randomBytes(12).toString('hex');
  let lostReason: string | undefined;

  let releaseLock: () => Promise<void>;
  try {
    releaseLock = await lockfile.lock(target, {
      realpath: false, // the target file itself need not exist
      fs: privateLockFs,
      stale: staleMs,
      // Without retries proper-lockfile fails at once with ELOCKED; with
      // randomized short waits, many contenders all get through in turn.
      retries: { retries: Math.ceil(waitMs / 100), factor: 1.3, minTimeout: 5, maxTimeout: 100, randomize: true },
      onCompromised: (err: Error) => {
        // The default handler throws from a timer and kills the process; a
        // lost lock is reported to the promotion instead.
        lostReason = err.message;
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new MeshError('LOCK_FAILED', `another promotion of skill "${name}" held the lock for more than ${waitMs} ms`, {
        name,
      });
    }
    throw err;
  }

  // Last writer wins: if two processes both broke a stale lock, only the one
  // whose token is in the file passes assertHeld.
  const temp = `${ownerFile}.${token}`;
  await writeFile(temp, token, { mode: PRIVATE_FILE_MODE });
  await rename(temp, ownerFile);

  return {
    name,
    async assertHeld() {
      if (lostReason !== undefined) {
        throw new MeshError('LOCK_FAILED', `lost the lock of skill "${name}": ${lostReason}`, { name });
      }
      const owner = await readFile(ownerFile, 'utf8').catch(() => '');
      if (owner !== token) {
        throw new MeshError('LOCK_FAILED', `lost the lock of skill "${name}" to another process`, { name });
      }
    },
    async release() {
      // Remove the token while the lock is still ours, so an idle library
      // holds no lock state besides the empty `.locks` folder.
      if (lostReason === undefined && (await readFile(ownerFile, 'utf8').catch(() => '')) === token) {
        await rm(ownerFile, { force: true });
      }
      await releaseLock().catch(() => {});
    },
  };
}

/** Run `fn` holding the lock of `name`; the lock is released whatever happens. */
export async function withSkillLock<T>(
  libraryRoot: string,
  name: string,
  options: SkillLockOptions,
  fn: (lock: SkillLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireSkillLock(libraryRoot, name, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
