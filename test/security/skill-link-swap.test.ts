// Attack: reads now follow a session's link into the skills library, so swap
// that link for one to an outside folder (holding a SKILL.md of its own)
// between the check and the use. A separate process flips the promoted
// skill's link, on the hub mirror and in a node's copy, between the library
// and outside, as fast as it can, while `cat` and `ls` read through it. No
// answer may carry the outside folder's bytes or names; every call reads
// the library copy or fails with a clear code. The check that holds is the
// one made on the opened handle (safe-open.ts), not on the path.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { data, errorCode, killStdioHubs, startStdioHub, textOf } from '../mcp/mcp-hub.js';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';

const FLIPPER = fileURLToPath(new URL('../support/folder-flipper.ts', import.meta.url));
const MARK = `CANARY-${randomBytes(6).toString('hex')}`;
const SKILL_MD = '---\nname: swap-skill\ndescription: Read while its link is swapped.\n---\n\n# Swap\n';
const CLEAR_CODES = new Set(['PATH_OUTSIDE_SESSION', 'NOT_FOUND', 'NOT_A_DIRECTORY', 'NODE_TIMEOUT']);
/** Reads made while the link flips, per target (mirror, node). */
const READS = 150;

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

it('a promoted skill link swapped for a link to outside never leaks a byte', async () => {
  tmp = await tempDir('mesh-skill-swap-');
  const dataDir = path.join(tmp.dir, 'hub');
  const sourceRoot = path.join(tmp.dir, 'src');
  const outside = path.join(tmp.dir, 'outside');
  await mkdir(sourceRoot, { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'SKILL.md'), `${MARK} outside\n`);
  await writeFile(path.join(outside, `${MARK}.txt`), `${MARK}\n`);
  const grpcPort = await freePort();
  const hub = await startStdioHub({ dataDir, grpcPort, sourceRoot });
  const workspace = path.join(tmp.dir, 'alpha');
  const node = startNodeProc({ id: 'alpha', workspace, hubPort: grpcPort, sessions: ['demo'] });
  await waitAttached(node);
  await eventually(async () => data(await hub.call('status')).online.includes('alpha'));
  data(await hub.call('write', { session: 'demo', path: 'skills/swap-skill/SKILL.md', content: SKILL_MD }));
  data(await hub.call('promote-skill', { session: 'demo', skill: 'swap-skill' }));
  const nodeLink = path.join(workspace, 'sessions', 'demo', 'skills', 'swap-skill');
  await eventually(async () => (await readFile(path.join(nodeLink, 'SKILL.md'), 'utf8')) === SKILL_MD);

  const flipper = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      FLIPPER,
      JSON.stringify({
        targets: [
          { dir: path.join(dataDir, 'sessions', 'demo', 'skills', 'swap-skill'), outside },
          { dir: nodeLink, outside },
        ],
        untilMs: Date.now() + 120_000,
        maxFlips: 10_000_000,
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let flipperOut = '';
  flipper.stdout!.setEncoding('utf8').on('data', (t: string) => (flipperOut += t));
  const flipperDone = new Promise<void>((resolve) => flipper.once('exit', () => resolve()));

  const tally = { read: 0, refused: 0, leaked: [] as string[], unclear: [] as string[] };
  try {
    for (let i = 0; i < READS; i++) {
      for (const node of [undefined, 'alpha']) {
        const where = node ?? 'hub';
        const cat = await hub.call('cat', { session: 'demo', path: 'skills/swap-skill/SKILL.md', ...(node ? { node } : {}) });
        const ls = await hub.call('ls', { session: 'demo', path: 'skills/swap-skill', ...(node ? { node } : {}) });
        for (const [op, r] of [['cat', cat], ['ls', ls]] as const) {
          const text = JSON.stringify(r);
          if (text.includes(MARK)) tally.leaked.push(`${op} ${where}: ${textOf(r).slice(0, 120)}`);
          if (!r.isError) {
            tally.read++;
            if (op === 'cat') expect(data(r).results[0].content).toBe(SKILL_MD);
          } else if (CLEAR_CODES.has(errorCode(r)!)) tally.refused++;
          else tally.unclear.push(`${op} ${where}: ${textOf(r).slice(0, 160)}`);
        }
      }
    }
  } finally {
    flipper.stdin!.end();
    await flipperDone;
  }
  const flips = (JSON.parse(flipperOut.trim() || '{}') as { flips?: number }).flips ?? 0;
  expect(tally.leaked).toEqual([]);
  expect(tally.unclear).toEqual([]);
  // The race was on: links flipped meanwhile, and reads both went through and were refused.
  expect(flips).toBeGreaterThan(READS);
  expect(tally.read).toBeGreaterThan(0);
  expect(tally.refused).toBeGreaterThan(0);
}, 180_000);
