// Packaging for running the hub and nodes as services: the systemd units pass
// `systemd-analyze verify` and score as well hardened in its offline security
// review, and the Dockerfile keeps to its rules (multi-stage, not root, a
// health check, pinned bases, copies only what exists). hadolint runs too
// when it is installed. Missing tools skip their check with a notice.
import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../support/processes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = ['mesh-assistant-hub.service', 'mesh-assistant-node.service'];
/** systemd-analyze security: 0 is fully locked down, 10 fully exposed; below 2 is rated "OK". */
const MAX_EXPOSURE = 2.0;

async function has(tool: string): Promise<boolean> {
  const found = await run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );
  if (!found) process.stderr.write(`\n*** ${tool} not found: its check of the packaging is SKIPPED ***\n\n`);
  return found;
}

const haveSystemd = await has('systemd-analyze');
const haveHadolint = await has('hadolint');
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('mesh-deploy-');
});
afterAll(async () => {
  await tmp?.cleanup();
});

/** The unit with its ExecStart pointed at this checkout (verify checks that the program exists). */
async function localUnit(name: string): Promise<string> {
  const text = await readFile(path.join(ROOT, 'deploy/systemd', name), 'utf8');
  expect(text).toContain('/opt/mesh-assistant/dist/cli.js');
  const file = path.join(tmp.dir, name);
  await writeFile(file, text.replaceAll('/opt/mesh-assistant/dist/cli.js', CLI).replaceAll('/usr/bin/node', process.execPath));
  return file;
}

describe.skipIf(!haveSystemd)('systemd units', () => {
  for (const name of UNITS) {
    it(`${name} verifies cleanly`, async () => {
      const file = await localUnit(name);
      const { stdout, stderr } = await run('systemd-analyze', ['verify', '--man=no', file]);
      expect(`${stdout}${stderr}`.split('\n').filter((l) => l.includes(name))).toEqual([]);
    });

    it(`${name} is hardened (offline security review below ${MAX_EXPOSURE})`, async () => {
      const file = await localUnit(name);
      const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', file]);
      const m = /Overall exposure level for \S+: ([0-9.]+)/.exec(stdout);
      expect(m, stdout.slice(-500)).not.toBeNull();
      const exposure = Number(m![1]);
      process.stderr.write(`${name}: systemd-analyze security exposure ${exposure}\n`);
      expect(exposure).toBeLessThan(MAX_EXPOSURE);
    });
  }
});

describe('Dockerfile', () => {
  const read = () => readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const instructions = (text: string) =>
    text
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));

  it('builds in one stage and runs from another, not as root, with a health check', async () => {
    const lines = instructions(await read());
    const froms = lines.filter((l) => /^FROM /i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f, 'a pinned base, never latest').toMatch(/^FROM \S+:(?!latest)\S+/);
    const final = lines.slice(lines.lastIndexOf(froms.at(-1)!));
    const users = final.filter((l) => /^USER /i.test(l));
    expect(users.at(-1)).toMatch(/^USER (?!root\b|0\b)\S+/);
    expect(final.some((l) => /^HEALTHCHECK .*\/healthz/.test(l))).toBe(true);
    expect(final.find((l) => l.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["node", "dist/cli.js"]');
    // The run stage takes build output only: no compilers, no sources, no dev dependencies.
    expect(final.filter((l) => /^COPY /.test(l)).every((l) => l.includes('--from=build'))).toBe(true);
    expect(final.join('\n')).not.toMatch(/apt-get install|npm (ci|install)/);
  });

  it('copies only files the repository has', async () => {
    for (const line of instructions(await read()).filter((l) => /^COPY (?!--from)/.test(l))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const s of sources) await expect(access(path.join(ROOT, s)), line).resolves.toBeUndefined();
    }
  });

  it.skipIf(!haveHadolint)('passes hadolint', async () => {
    await expect(run('hadolint', [path.join(ROOT, 'Dockerfile')])).resolves.toBeDefined();
  });
});
