// Attack (or plain bad luck): a write into `skills/<name>/` racing the
// promotion of that folder. Without a gate it is acknowledged and then lost
// (written after the copy, removed with the folder set aside), or it lands
// in the library through the fresh link, so the library serves bytes that
// differ from its recorded hash. Random schedules of writes, pushes and
// promotions on a real hub: every acknowledged write is in the version
// promoted from its folder, every other one was refused, and every library
// copy hashes to its record.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isLinkTo } from '../../src/mesh/skills/skill-link.js';
import { currentPath, readMetaAt, versionPath } from '../../src/mesh/skills/skill-library.js';
import { expectRecordedHashes, keptFolders } from '../mesh/skills/helpers.js';
import { freePort, killAll, startHubDriver, tempDir, type HubDriver } from '../support/processes.js';

const NAME = 'race';
/** Different in every round, so every round's folder is new content (never "unchanged"). */
const skillMd = (n: number) => `---\nname: ${NAME}\ndescription: Raced by writes, round ${n}.\n---\n# race\n`;
/** Refusals a racing write may get: the gate's, or the path rule's once the folder is a link. */
const REFUSED = new Set(['SKILL_BUSY', 'PATH_OUTSIDE_SESSION']);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HubDriver;
let library: string;
let sources: string;

beforeAll(async () => {
  tmp = await tempDir();
  sources = path.join(tmp.dir, 'sources');
  await mkdir(sources);
  library = path.join(tmp.dir, 'hub', 'skills');
  // info: the driver's debug logging would cost more than the race itself.
  hub = await startHubDriver(['--data', path.join(tmp.dir, 'hub'), '--grpc', `127.0.0.1:${await freePort()}`, '--source-root', sources], {
    MESH_LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await killAll();
  await tmp.cleanup();
});

type Op = { kind: 'write' | 'push' | 'promote'; delayMs: number };
const op = fc.record({ kind: fc.constantFrom<Op['kind']>('write', 'write', 'write', 'push', 'promote'), delayMs: fc.integer({ min: 0, max: 80 }) });
/** Each round: one or two promotions racing a handful of writes and pushes into the same folder. */
const round = fc
  .tuple(fc.array(op, { minLength: 3, maxLength: 10 }), fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 2 }))
  .map(([ops, promotes]) => [...ops.filter((o) => o.kind !== 'promote'), ...promotes.map((delayMs) => ({ kind: 'promote' as const, delayMs }))]);

let roundNo = 0;

it('never loses an acknowledged write, and never lets one into the library through the link', async () => {
  let raced = 0;
  const codes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(round, async (ops) => {
      const folder = `r${++roundNo}/${NAME}`;
      await hub.call({ op: 'write', session: 'team', path: `${folder}/SKILL.md`, content: skillMd(roundNo) });
      const writes: Array<{ file: string; content: string; done: Promise<unknown> }> = [];
      const promotions: Array<Promise<any>> = [];
      for (const [j, o] of ops.entries()) {
        const file = `f${j}.txt`;
        const content = `round ${roundNo} ${o.kind} ${j}\n`;
        if (o.kind === 'promote') {
          promotions.push(hub.call({ op: 'promote', session: 'team', skill: folder, replace: true, delayMs: o.delayMs }));
        } else if (o.kind === 'write') {
          writes.push({ file, content, done: hub.call({ op: 'write', session: 'team', path: `${folder}/${file}`, content, delayMs: o.delayMs }) });
        } else {
          const source = `r${roundNo}-${j}.txt`;
          await writeFile(path.join(sources, source), content);
          writes.push({ file, content, done: hub.call({ op: 'push', session: 'team', source, dest: `${folder}/${file}`, delayMs: o.delayMs }) });
        }
      }
      const outcomes = await Promise.all(writes.map((w) => w.done.then(() => 'ok', (e: { code: string }) => e.code)));
      const promoted = await Promise.all(promotions);

      // The version this folder became: the promotion that copied it (the others found the link).
      const copying = promoted.filter((r) => r.status !== 'unchanged');
      expect(copying, `round ${roundNo}: one promotion copies the folder`).toHaveLength(1);
      const { version } = copying[0];
      for (const r of promoted) expect(r.kept, `round ${roundNo}: nothing reached the folder between copy and link`).toEqual([]);
      const versionDir = (await readMetaAt(currentPath(library, NAME)))?.version === version ? currentPath(library, NAME) : versionPath(library, NAME, version);
      expect(await isLinkTo(path.join(tmp.dir, 'hub/sessions/team', folder), currentPath(library, NAME))).toBe(true);

      for (const [i, w] of writes.entries()) {
        const inVersion = await readFile(path.join(versionDir, w.file), 'utf8').catch(() => undefined);
        if (outcomes[i] === 'ok') {
          // Acknowledged: it landed before the copy, so it is part of this version.
          expect(inVersion, `round ${roundNo}: acknowledged ${w.file} is in version ${version}`).toBe(w.content);
        } else {
          expect(REFUSED.has(outcomes[i]!), `round ${roundNo}: ${w.file} refused with ${outcomes[i]}`).toBe(true);
          expect(inVersion, `round ${roundNo}: refused ${w.file} left nothing`).toBeUndefined();
          raced++;
          codes.set(outcomes[i]!, (codes.get(outcomes[i]!) ?? 0) + 1);
        }
      }
      // The current copy holds exactly the bytes it recorded.
      const current = await readMetaAt(currentPath(library, NAME));
      expect(current?.version).toBe(version);
      await expectRecordedHashes(library);
    }),
    { numRuns: 25, interruptAfterTimeLimit: 20_000, endOnFailure: true },
  );
  // The schedules did make writes collide with promotions, and the gate turned them away.
  expect(raced).toBeGreaterThan(0);
  expect(codes.get('SKILL_BUSY') ?? 0).toBeGreaterThan(0);
  expect(await keptFolders(library, NAME)).toEqual([]);
}, 40_000);

it('lets promotions of one folder sent together take turns: one copies, the others find the link', async () => {
  for (let k = 0; k < 5; k++) {
    const folder = `twice-${k}/${NAME}`;
    await hub.call({ op: 'write', session: 'team', path: `${folder}/SKILL.md`, content: skillMd(1000 + k) });
    await hub.call({ op: 'write', session: 'team', path: `${folder}/a.txt`, content: `a ${k}\n` });
    const results = await Promise.all([0, 1, 2].map(() => hub.call({ op: 'promote', session: 'team', skill: folder, replace: true })));
    expect(results.map((r) => (r.status === 'unchanged' ? 'found the link' : 'copied')).sort()).toEqual(['copied', 'found the link', 'found the link']);
    await expectRecordedHashes(library);
  }
});

it('refuses a write into a promoted folder, saying it is a promoted skill', async () => {
  await hub.call({ op: 'write', session: 'team', path: 'skills/done/SKILL.md', content: skillMd(0).replace(/race/g, 'done') });
  await hub.call({ op: 'promote', session: 'team', skill: 'done' });
  const err = await hub.call({ op: 'write', session: 'team', path: 'skills/done/more.txt', content: 'x' }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PATH_OUTSIDE_SESSION', details: { rule: 'link', skill: 'skills/done' } });
  expect((err as { message: string }).message).toMatch(/promoted skill.*another name.*new version/);
  await expectRecordedHashes(library);
});
