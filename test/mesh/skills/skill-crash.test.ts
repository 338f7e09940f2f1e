// A promotion killed with SIGKILL at each of its steps, then recovery and a
// new promotion: the library and the sessions end in an allowed state every
// time, and a session folder holding data the library lacks is never lost.
// Also: a dead lock holder blocks others only until its lock is stale.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteSkill, type PromoteOptions, type PromoteStep } from '../../../src/mesh/skills/skill-promote.js';
import { recoverPromotions, type RecoveryReport } from '../../../src/mesh/skills/skill-recover.js';
import { expectLibraryConsistent, expectRecordedHashes, expectSiteConsistent, keptFolders, makeTemp, snapshotTree, writeSkill } from './helpers.js';

const WORKER_SCRIPT = path.join(import.meta.dirname, 'promote-worker.ts');
const STALE_MS = 2000;
const NAME = 'crashy';

/** Start a worker that pauses at `pauseAt`; resolves once it got there, with a kill function. */
async function pausedWorker(
  options: PromoteOptions & { pauseAt: PromoteStep; plant?: { at: PromoteStep; file: string; content: string } },
): Promise<{ kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, 'pause', JSON.stringify(options)], { stdio: 'pipe' });
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker never reached ${options.pauseAt}`)), 45_000);
    lines.on('line', (line) => {
      if (line === `at ${options.pauseAt}`) {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('done') || line.startsWith('error')) {
        clearTimeout(timer);
        reject(new Error(`worker finished without pausing: ${line}`));
      }
    });
    child.once('exit', () => reject(new Error('worker exited before pausing')));
  });
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTemp('crash');
});
afterAll(async () => tmp.cleanup());

interface Fixture {
  library: string;
  seed: { root: string; rel: string };
  s1: { root: string; rel: string; before: string[] };
  options: PromoteOptions;
}

/** A library holding version 1 (promoted from "seed"), and session "s1" with different content. */
async function fixture(tag: string): Promise<Fixture> {
  const base = path.join(tmp.dir, tag);
  const library = path.join(base, 'library');
  const seedRoot = path.join(base, 'seed');
  const s1Root = path.join(base, 's1');
  await mkdir(seedRoot, { recursive: true });
  await mkdir(s1Root, { recursive: true });
  const seedRel = await writeSkill(seedRoot, NAME, { 'data.txt': 'version one' });
  await promoteSkill({ sessionRoot: seedRoot, sessionName: 'seed', skillPath: seedRel, libraryRoot: library });
  const rel = await writeSkill(s1Root, NAME, { 'data.txt': 'version two', 'lib/helper.py': 'print(2)\n' });
  return {
    library,
    seed: { root: seedRoot, rel: seedRel },
    s1: { root: s1Root, rel, before: await snapshotTree(path.join(s1Root, rel)) },
    options: { sessionRoot: s1Root, sessionName: 's1', skillPath: rel, libraryRoot: library, replace: true, lockStaleMs: STALE_MS },
  };
}

const STEPS: PromoteStep[] = ['validated', 'locked', 'copied', 'synced', 'retired', 'renamed', 'set-aside', 'linked', 'recorded'];
/** Steps after which the library's current copy is the new version. */
const AFTER_RENAME = new Set<PromoteStep>(['renamed', 'set-aside', 'linked', 'recorded']);
/** Steps after which the session path is the link. */
const AFTER_LINK = new Set<PromoteStep>(['linked', 'recorded']);

describe('kill -9 during a promotion', () => {
  it('recovers from a crash at every step', async () => {
    const fixtures = await Promise.all(STEPS.map((step) => fixture(step)));
    // All workers paused at once (spawning is the slow part on two cores), then killed.
    const workers = await Promise.all(STEPS.map((step, i) => pausedWorker({ ...fixtures[i]!.options, pauseAt: step })));
    await Promise.all(workers.map((w) => w.kill()));

    const reports = await Promise.all(
      fixtures.map((f) => recoverPromotions(f.library, [f.seed.root, f.s1.root], { staleMs: STALE_MS })),
    );

    for (const [i, step] of STEPS.entries()) {
      const f = fixtures[i]!;
      const report: RecoveryReport = reports[i]!;
      const context = `crash at ${step}`;
      const state = await expectLibraryConsistent(f.library, NAME);
      const content = await readFile(path.join(f.library, NAME, 'data.txt'), 'utf8');
      expect(content, context).toBe(AFTER_RENAME.has(step) ? 'version two' : 'version one');
      expect(state.versions, context).toEqual(AFTER_RENAME.has(step) ? [1] : []);
      expect((await expectSiteConsistent(path.join(f.seed.root, f.seed.rel), f.library, NAME)).kind, context).toBe('link');
      const site = await expectSiteConsistent(path.join(f.s1.root, f.s1.rel), f.library, NAME);
      if (AFTER_LINK.has(step)) expect(site.kind, context).toBe('link');
      else expect(site, context).toEqual({ kind: 'folder', snapshot: f.s1.before });

      // What recovery had to do at each step.
      expect(report.removedTemp.length, context).toBe(['copied', 'synced', 'retired'].includes(step) ? 1 : 0);
      expect(report.restored, context).toEqual(step === 'retired' ? [{ name: NAME, version: 1 }] : []);
      expect(report.removedIncomplete, context).toEqual([]);
      const siteReport = report.sites.find((s) => s.sitePath === path.join(f.s1.root, f.s1.rel));
      if (step === 'set-aside') expect(siteReport, context).toMatchObject({ restored: true, removedTempLinks: 1 });
      if (step === 'linked') expect(siteReport, context).toMatchObject({ restored: false, removedAsides: 1 });
    }

    // A new promotion of the same session works after every kind of crash.
    const results = await Promise.all(fixtures.map((f) => promoteSkill(f.options)));
    for (const [i, step] of STEPS.entries()) {
      const f = fixtures[i]!;
      const result = results[i]!;
      const context = `promotion after a crash at ${step}`;
      expect(result.status, context).toBe(AFTER_RENAME.has(step) ? 'unchanged' : 'replaced');
      expect(result.version, context).toBe(2);
      await expectLibraryConsistent(f.library, NAME);
      expect((await expectSiteConsistent(path.join(f.s1.root, f.s1.rel), f.library, NAME)).kind, context).toBe('link');
      expect(await readFile(path.join(f.s1.root, f.s1.rel, 'data.txt'), 'utf8'), context).toBe('version two');
    }
  }, 120_000);
});

/** Every step, `kept` included: reached only because the planted file makes the set-aside folder differ. */
const PLANTED_STEPS: PromoteStep[] = ['validated', 'locked', 'copied', 'synced', 'retired', 'renamed', 'set-aside', 'linked', 'kept', 'recorded'];
/** The file is planted at `copied`, so steps before it never see it. */
const BEFORE_PLANT = new Set<PromoteStep>(['validated', 'locked']);
const PLANTED = { at: 'copied' as PromoteStep, file: 'planted.txt', content: 'written into the session folder after the copy' };

describe('kill -9 during a promotion whose session folder holds more than the copy', () => {
  it('loses nothing of the session folder at any step', async () => {
    const fixtures = await Promise.all(PLANTED_STEPS.map((step) => fixture(`planted-${step}`)));
    const workers = await Promise.all(PLANTED_STEPS.map((step, i) => pausedWorker({ ...fixtures[i]!.options, pauseAt: step, plant: PLANTED })));
    await Promise.all(workers.map((w) => w.kill()));
    const reports = await Promise.all(fixtures.map((f) => recoverPromotions(f.library, [f.seed.root, f.s1.root], { staleMs: STALE_MS })));

    /** The session folder as it was, plus the planted file (unless planted after the crash). */
    const expectWhole = async (dir: string, step: PromoteStep) => {
      const snapshot = await snapshotTree(dir);
      expect(snapshot.filter((l) => !l.startsWith(`F ${PLANTED.file} `)), `crash at ${step}: ${dir}`).toEqual(fixtures[PLANTED_STEPS.indexOf(step)]!.s1.before);
      if (!BEFORE_PLANT.has(step)) expect(await readFile(path.join(dir, PLANTED.file), 'utf8'), `crash at ${step}`).toBe(PLANTED.content);
    };
    for (const [i, step] of PLANTED_STEPS.entries()) {
      const f = fixtures[i]!;
      const context = `crash at ${step}`;
      await expectLibraryConsistent(f.library, NAME);
      await expectRecordedHashes(f.library);
      const sitePath = path.join(f.s1.root, f.s1.rel);
      const site = await expectSiteConsistent(sitePath, f.library, NAME);
      const kept = await keptFolders(f.library, NAME);
      if (AFTER_LINK.has(step) || step === 'kept') {
        // The link is in place: the folder it replaced is kept whole in the library.
        expect(site.kind, context).toBe('link');
        expect(kept, context).toHaveLength(1);
        await expectWhole(kept[0]!, step);
      } else {
        expect(site.kind, context).toBe('folder');
        expect(kept, context).toEqual([]);
        await expectWhole(sitePath, step);
      }
      const siteReport = reports[i]!.sites.find((s) => s.sitePath === sitePath);
      // Recovery itself did the keeping only when the crash fell between link and keep.
      if (step === 'linked') expect(siteReport?.keptInLibrary.map((k) => k.added), context).toEqual([[PLANTED.file]]);
      else expect(siteReport?.keptInLibrary ?? [], context).toEqual([]);
    }
  }, 120_000);
});

describe('a lock holder that dies', () => {
  it('blocks other promotions only until its lock is stale', async () => {
    const f = await fixture('stale');
    const worker = await pausedWorker({ ...f.options, pauseAt: 'locked' });
    await worker.kill();

    const otherRoot = path.join(tmp.dir, 'stale', 's2');
    await mkdir(otherRoot, { recursive: true });
    const rel = await writeSkill(otherRoot, NAME, { 'data.txt': 'version three' });
    const started = Date.now();
    const result = await promoteSkill({ sessionRoot: otherRoot, sessionName: 's2', skillPath: rel, libraryRoot: f.library, replace: true, lockStaleMs: STALE_MS });
    const waited = Date.now() - started;

    expect(result).toMatchObject({ status: 'replaced', version: 2 });
    // It did wait for the dead holder (the lock was fresh when it died) ...
    expect(waited).toBeGreaterThanOrEqual(STALE_MS / 2);
    // ... but not much longer than the stale time (+1 s of mtime rounding in proper-lockfile, + scheduling).
    expect(waited).toBeLessThan(STALE_MS + 3000);
    await expectLibraryConsistent(f.library, NAME);
    expect((await expectSiteConsistent(path.join(f.s1.root, f.s1.rel), f.library, NAME)).kind).toBe('folder');
  }, 60_000);
});
