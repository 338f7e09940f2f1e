// `mesh-assistant push` from a shell against a running hub with real nodes:
// progress as plain lines when stderr is no terminal, the file on every
// node's disk, --json, and the tool's error code when the push is refused.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { progressPrinter } from '../../src/ops/push-cli.js';
import { startHttpHub, type HttpHub } from '../support/http-hub.js';
import { CLI, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;
let source: string;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, MESH_HTTP_TOKEN: undefined, MESH_DATA_DIR: undefined }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await tempDir('mesh-ops-push-');
  source = path.join(tmp.dir, 'source');
  await mkdir(source, { recursive: true });
  hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub'), args: ['--source-root', source] });
  const nodes = ['alpha', 'beta'].map((id) => startNodeProc({ id, workspace: path.join(tmp.dir, id), hubPort: hub.grpcPort, sessions: ['demo'] }));
  await Promise.all(nodes.map((n) => waitAttached(n)));
});

afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

it('pushes to every node with progress lines, and says what landed', async () => {
  const data = randomBytes(9 * 1024 * 1024);
  await writeFile(path.join(source, 'big.bin'), data);
  const r = await cli(['push', 'big.bin', '--session', 'demo', '--dest', 'in/big.bin', '--data', hub.dataDir]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^Pushed 9\.0 MiB \(3 chunks\) to demo:in\/big\.bin/);
  const lines = r.stderr.trim().split('\n');
  // In bytes of the file, whatever the number of nodes.
  expect(lines.at(-1)).toMatch(/^\[#{30}\] 100% {2}9\.0 MiB of 9\.0 MiB$/);
  for (const id of ['alpha', 'beta']) expect((await readFile(path.join(tmp.dir, id, 'sessions', 'demo', 'in', 'big.bin'))).equals(data), id).toBe(true);
  const json = await cli(['push', 'big.bin', '--session', 'demo', '--data', hub.dataDir, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ session: 'demo', path: 'big.bin', size: data.length, chunks: 3 });
});

it('fails with the code of the refusal', async () => {
  const r = await cli(['push', '../../etc/passwd', '--session', 'demo', '--data', hub.dataDir]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^mesh-assistant: (SOURCE_NOT_ALLOWED|NOT_FOUND): source /m);
});

it('draws in place on a terminal, a line a tenth elsewhere', () => {
  const written: string[] = [];
  const plain = progressPrinter({ isTTY: false, write: (t: string) => written.push(t) });
  for (let done = 0; done <= 100; done += 5) plain.update(done, 100);
  plain.end();
  expect(written).toHaveLength(11);
  expect(written.every((l) => l.endsWith('\n'))).toBe(true);
  const tty: string[] = [];
  const live = progressPrinter({ isTTY: true, write: (t: string) => tty.push(t) });
  live.update(50, 100);
  live.end();
  expect(tty).toEqual([`\r[${'#'.repeat(15)}${'.'.repeat(15)}]  50%  50 B of 100 B`, '\n']);
});
