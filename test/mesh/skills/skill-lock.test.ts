// The skill lock's own folders: owner-only whatever the umask (the library
// is private, and a lock folder names what is being promoted).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { acquireSkillLock, LOCKS_DIR } from '../../../src/mesh/skills/skill-lock.js';
import { tempDir } from '../../support/processes.js';

it('creates its lock folder 0700 under umask 022', async () => {
  const tmp = await tempDir();
  const previous = process.umask(0o022);
  try {
    const lock = await acquireSkillLock(tmp.dir, 'tool');
    try {
      expect((await stat(path.join(tmp.dir, LOCKS_DIR, 'tool.lock'))).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(tmp.dir, LOCKS_DIR))).mode & 0o777).toBe(0o700);
    } finally {
      await lock.release();
    }
  } finally {
    process.umask(previous);
    await tmp.cleanup();
  }
});
