// The promotion gate inside a real hub, with a promotion paused at a chosen
// step: writes and pushes into the folder are refused at once while it runs
// (and told why once it is a link), and a second promotion of the same
// folder waits its turn instead of scanning a folder being moved.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { Hub } from '../../../src/mesh/hub/hub.js';
import type { PromoteStep } from '../../../src/mesh/skills/index.js';
import { expectRecordedHashes } from '../skills/helpers.js';
import { tempDir } from '../../support/processes.js';

const SKILL_MD = '---\nname: gated\ndescription: Held by the gate.\n---\n# gated\n';
let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: Hub;
let sources: string;

beforeEach(async () => {
  tmp = await tempDir();
  sources = path.join(tmp.dir, 'sources');
  await mkdir(sources);
  hub = await Hub.start({
    dataDir: path.join(tmp.dir, 'hub'),
    grpcAddress: '127.0.0.1:0',
    nodeTokens: ['t'],
    sourceRoots: [sources],
    driftMode: 'report',
    autoPromote: false,
    log: silentLogger,
  });
  await hub.write('s', 'skills/gated/SKILL.md', Buffer.from(SKILL_MD));
  await hub.write('s', 'skills/gated/a.txt', Buffer.from('a\n'));
});
afterEach(async () => {
  await hub.stop();
  await tmp.cleanup();
});

/** Start a promotion that stops at `step` until released. */
function pausedPromotion(step: PromoteStep): { reached: Promise<void>; release: () => void; done: Promise<unknown> } {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const released = new Promise<void>((r) => (release = r));
  const done = hub.skills.promote('s', 'gated', {
    stepHook: async (s) => {
      if (s !== step) return;
      reach();
      await released;
    },
  });
  return { reached, release, done };
}

async function refusal(p: Promise<unknown>): Promise<MeshError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(MeshError);
  return err as MeshError;
}

it('refuses writes and pushes into the folder while it is promoted, and says it is a promoted skill afterwards', async () => {
  const promotion = pausedPromotion('copied');
  await promotion.reached;
  expect(await refusal(hub.write('s', 'skills/gated/b.txt', Buffer.from('b\n')))).toMatchObject({ code: 'SKILL_BUSY', details: { skill: 'skills/gated' } });
  expect((await refusal(hub.write('s', 'skills/gated/a.txt', Buffer.from('overwrite\n')))).code).toBe('SKILL_BUSY');
  await writeFile(path.join(sources, 'big.bin'), 'pushed\n');
  expect((await refusal(hub.push('s', 'big.bin', 'skills/gated/big.bin'))).code).toBe('SKILL_BUSY');
  // Elsewhere in the session, writes go on.
  await hub.write('s', 'notes/while-promoting.txt', Buffer.from('fine\n'));
  promotion.release();
  await expect(promotion.done).resolves.toMatchObject({ status: 'promoted', kept: [] });

  const after = await refusal(hub.write('s', 'skills/gated/b.txt', Buffer.from('b\n')));
  expect(after).toMatchObject({ code: 'PATH_OUTSIDE_SESSION', details: { rule: 'link', skill: 'skills/gated' } });
  expect(after.message).toMatch(/promoted skill/);
  await expectRecordedHashes(path.join(tmp.dir, 'hub', 'skills'));
});

it('makes a second promotion of the folder wait for the first, then find the link', async () => {
  const first = pausedPromotion('set-aside');
  await first.reached;
  // The folder is renamed aside right now; a second promotion must not look at it yet.
  const second = hub.skills.promote('s', 'skills/gated');
  first.release();
  await expect(first.done).resolves.toMatchObject({ status: 'promoted' });
  await expect(second).resolves.toMatchObject({ status: 'unchanged', version: 1, kept: [] });
  await expectRecordedHashes(path.join(tmp.dir, 'hub', 'skills'));
});
