// Promotion of a session's skill into the hub's skills library: validate,
// lock the name, write a complete new version atomically, and leave a link to
// it in the session ("symlink inversion"). The caller records the result in
// the store and delivers the skill to the nodes.
import { MeshError } from '../../errors.js';
import { nextVersion, sealStaging, stageFromSource, writeVersion } from './skill-commit.js';
import { currentPath, readMetaAt } from './skill-library.js';
import type { KeptFolder } from './skill-keep.js';
import { linkSite } from './skill-link.js';
import { acquireSkillLock } from './skill-lock.js';
import { DEFAULT_SKILL_LIMITS, type SkillLimits } from './skill-manifest.js';
import { scanSessionSkill, siteIdentity } from './skill-scan.js';

/**
 * Named points of a promotion, in order. `retired` is reached only when a
 * version is replaced, `set-aside` only when the session held a folder,
 * `kept` only when that folder held data the library copy lacks.
 */
export type PromoteStep =
  | 'validated'
  | 'locked'
  | 'copied'
  | 'synced'
  | 'retired'
  | 'renamed'
  | 'set-aside'
  | 'linked'
  | 'kept'
  | 'recorded';

export interface PromoteOptions {
  /** Absolute path of the session folder (the hub mirror of one session). */
  sessionRoot: string;
  /** Recorded in `.skill.json` as `promotedFrom`. */
  sessionName: string;
  /** Folder of the skill relative to `sessionRoot`, e.g. "skills/my-skill". */
  skillPath: string;
  /** `<data>/skills`. */
  libraryRoot: string;
  /** Needed to replace different content under an existing name; default false. */
  replace?: boolean;
  /** Test hook, awaited at each named step. */
  stepHook?: (step: PromoteStep) => Promise<void>;
  /** ms; default 10,000 (proper-lockfile's floor is 2,000). */
  lockStaleMs?: number;
  /** ms to wait for other holders of the lock; default 60,000. */
  lockWaitMs?: number;
  /** Defaults: 16 MiB, 1,000 files, 32 levels. */
  limits?: Partial<SkillLimits>;
}

export interface PromoteResult {
  name: string;
  version: number;
  sha256: string;
  status: 'promoted' | 'replaced' | 'unchanged';
  /** Absolute path of the current library copy. */
  libraryPath: string;
  /** Absolute path of the link left in the session. */
  linkPath: string;
  /** Where the replaced version went, for status 'replaced'. */
  previousVersionPath?: string;
  /**
   * The session folder replaced by the link, when it held files the library
   * copy lacks (changed after validation, or added after the copy): kept
   * under the library's `.kept/`, never deleted. Usually empty.
   */
  kept: KeptFolder[];
}

export async function promoteSkill(options: PromoteOptions): Promise<PromoteResult> {
  const limits = { ...DEFAULT_SKILL_LIMITS, ...options.limits };
  const hook = options.stepHook ?? (async () => {});
  let source = await scanSessionSkill({ ...options, limits });
  await hook('validated');
  const { name } = source;
  const lock = await acquireSkillLock(options.libraryRoot, name, { staleMs: options.lockStaleMs, waitMs: options.lockWaitMs });
  try {
    await hook('locked');
    await lock.assertHeld();
    // The session entry only changes under this lock (or by its owner); if
    // it changed while we waited, validate again what is there now.
    if ((await siteIdentity(source.sitePath)) !== source.siteId) source = await scanSessionSkill({ ...options, limits });
    const libraryPath = currentPath(options.libraryRoot, name);
    const current = await readMetaAt(libraryPath);
    const base = { name, libraryPath, linkPath: source.sitePath };

    if (source.kind === 'library-link') {
      if (!current) throw new MeshError('SKILL_NOT_FOUND', `the library copy of "${name}" has no record`, { name });
      await hook('recorded');
      return { ...base, version: current.version, sha256: current.sha256, status: 'unchanged', kept: [] };
    }
    if (current?.sha256 === source.sha256) {
      const { kept } = await linkSite({ libraryRoot: options.libraryRoot, name, sitePath: source.sitePath, lock, stepHook: hook });
      await hook('recorded');
      return { ...base, version: current.version, sha256: current.sha256, status: 'unchanged', kept };
    }
    if (current && !options.replace) {
      throw new MeshError(
        'SKILL_EXISTS',
        `the library holds "${name}" version ${current.version} with different content; pass replace: true to add a new version`,
        { name, version: current.version, sha256: current.sha256 },
      );
    }

    const version = await nextVersion(options.libraryRoot, name, current);
    const meta = { name, version, sha256: source.sha256, promotedFrom: options.sessionName, at: new Date().toISOString() };
    const { files } = source;
    const previousVersionPath = await writeVersion(options.libraryRoot, name, lock, hook, async (staging) => {
      await stageFromSource(staging, files, limits.maxBytes);
      await hook('copied');
      await lock.assertHeld();
      await sealStaging(staging, meta);
      await hook('synced');
    });
    await hook('renamed');
    const { kept } = await linkSite({ libraryRoot: options.libraryRoot, name, sitePath: source.sitePath, lock, stepHook: hook });
    await hook('recorded');
    const result: PromoteResult = { ...base, version, sha256: source.sha256, status: current ? 'replaced' : 'promoted', kept };
    if (previousVersionPath) result.previousVersionPath = previousVersionPath;
    return result;
  } finally {
    await lock.release();
  }
}
