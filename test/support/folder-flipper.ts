// An attacker on the machine, as a separate OS process: flips each target
// folder between the real folder and a symlink to an outside folder, as fast
// as it can, until its deadline or until its parent closes stdin. At the end
// every target is a real folder again. Prints one JSON line: flips done.
//
//   node --import tsx test/support/folder-flipper.ts '<json>'
//   json: { "targets": [{ "dir": "/abs/d", "outside": "/abs/out" }], "untilMs": <epoch ms>, "maxFlips": 1000000 }
//
// A flip is rename(d, d-real) + symlink(outside, d), then unlink(d) +
// rename(d-real, d). In the gaps between the two steps `d` is missing; a
// folder the mesh creates there is moved aside (`d-stray-N`) so the flips go on.
import { lstat, mkdir, rename, symlink, unlink } from 'node:fs/promises';

interface Target {
  dir: string;
  outside: string;
}

const { targets, untilMs, maxFlips } = JSON.parse(process.argv[2]!) as { targets: Target[]; untilMs: number; maxFlips: number };
let stop = false;
process.stdin.on('end', () => (stop = true)).on('error', () => (stop = true));
process.stdin.resume();

let strays = 0;
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Move whatever the mesh created at `dir` out of the way (bounded by the caller's retries). */
async function moveAside(t: Target): Promise<void> {
  await rename(t.dir, `${t.dir}-stray-${strays++}`).catch(() => {});
}

async function toLink(t: Target): Promise<void> {
  await rename(t.dir, `${t.dir}-real`);
  for (let tries = 0; tries < 20; tries++) {
    try {
      await symlink(t.outside, t.dir, 'dir');
      return;
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
      await moveAside(t);
    }
  }
}

async function toReal(t: Target): Promise<void> {
  for (let tries = 0; tries < 20; tries++) {
    const info = await lstat(t.dir).catch(() => undefined);
    if (info?.isSymbolicLink()) await unlink(t.dir).catch(() => {});
    else if (info) await moveAside(t);
    try {
      await rename(`${t.dir}-real`, t.dir);
      return;
    } catch (err) {
      if (!['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR'].includes(code(err) ?? '')) throw err;
    }
  }
  throw new Error(`could not put ${t.dir} back`);
}

let flips = 0;
let errors = 0;
while (!stop && Date.now() < untilMs && flips < maxFlips) {
  for (const t of targets) {
    try {
      await toLink(t);
      await toReal(t);
      flips++;
    } catch {
      errors++;
      if (errors > 10_000) stop = true;
    }
  }
}
// Leave every target as a real folder.
for (const t of targets) {
  const info = await lstat(t.dir).catch(() => undefined);
  if (info?.isSymbolicLink()) await unlink(t.dir);
  if (await lstat(`${t.dir}-real`).then(() => true, () => false)) {
    if (await lstat(t.dir).then(() => true, () => false)) await moveAside(t);
    await rename(`${t.dir}-real`, t.dir);
  }
  await mkdir(t.dir, { recursive: true });
}
process.stdout.write(`${JSON.stringify({ flips, errors, strays })}\n`);
process.exit(0);
