// `mesh-assistant status | nodes | sessions` against a running hub process
// with real nodes: tables by default, --json for scripts, found from --data
// or --url/--token, and a clear error when no hub answers.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, progressBar } from '../../src/ops/tables.js';
import { callTool, connectClient, fileToken, startHttpHub, type HttpHub } from '../support/http-hub.js';
import { CLI, eventually, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, MESH_HTTP_TOKEN: undefined, MESH_DATA_DIR: undefined, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  tmp = await tempDir('mesh-ops-cli-');
  hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub') });
  const alpha = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: hub.grpcPort, sessions: ['demo', 'ops'] });
  const beta = startNodeProc({ id: 'beta', workspace: path.join(tmp.dir, 'beta'), hubPort: hub.grpcPort, sessions: ['demo'] });
  await Promise.all([waitAttached(alpha), waitAttached(beta)]);
  await beta.kill('SIGKILL');
  // A write while beta is away: a running transfer, done on alpha, pending for beta.
  const { client } = await connectClient(hub.url, { authorization: `Bearer ${await fileToken(hub.dataDir)}` });
  await eventually(async () => JSON.parse((await cli(['nodes', '--data', hub.dataDir, '--json'])).stdout).find((n: any) => n.node === 'beta')?.online === false);
  expect((await callTool(client, 'write', { session: 'demo', path: 'notes/plan.md', content: 'hello' })).isError).toBeFalsy();
  await client.close();
});

afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

describe('against a running hub', () => {
  it('status: sessions, nodes online and offline, transfers with progress, as tables', async () => {
    const { code, stdout } = await cli(['status', '--data', hub.dataDir]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[1]).toMatch(/^2 node\(s\), 1 online, 1 offline; 2 session\(s\); 1 transfer\(s\) running/);
    const row = (first: string) => lines.find((l) => l.split(/\s{2,}/)[0] === first)?.split(/\s{2,}/);
    expect(lines).toContain('SESSION  MEMBERS  ONLINE');
    expect(row('demo')).toEqual(['demo', '2', '1']);
    expect(row('ops')).toEqual(['ops', '1', '1']);
    // No file data has moved yet: no port to show.
    expect(row('alpha')).toEqual(['alpha', 'online', 'demo,ops', '-']);
    expect(row('beta')).toEqual(['beta', 'offline', 'demo', '-']);
    // (the bar and its percentage are two spaces apart, so they split into two here)
    expect(row('write')).toEqual(['write', 'demo:notes/plan.md', '5 B', '[##########..........]', '50%', 'alpha=done,beta=pending']);
  });

  it('nodes and sessions, and --json on each', async () => {
    const nodes = await cli(['nodes', '--data', hub.dataDir]);
    expect(nodes.stdout).toBe('NODE   STATE    SESSIONS  DATA VIA\nalpha  online   demo,ops  -\nbeta   offline  demo      -\n');
    const sessions = await cli(['sessions', '--data', hub.dataDir]);
    expect(sessions.stdout).toBe('SESSION  MEMBERS  ONLINE\ndemo     2        1\nops      1        1\n');
    expect(JSON.parse((await cli(['nodes', '--data', hub.dataDir, '--json'])).stdout)).toEqual([
      { node: 'alpha', online: true, sessions: ['demo', 'ops'] },
      { node: 'beta', online: false, sessions: ['demo'] },
    ]);
    expect(JSON.parse((await cli(['sessions', '--data', hub.dataDir, '--json'])).stdout)).toEqual([
      { name: 'demo', members: 2, online: 1 },
      { name: 'ops', members: 1, online: 1 },
    ]);
    const status = JSON.parse((await cli(['status', '--data', hub.dataDir, '--json'])).stdout);
    expect(status.transfers[0]).toMatchObject({ kind: 'write', session: 'demo', path: 'notes/plan.md', size: 5, done: 5, total: 10 });
  });

  it('finds the hub from --url and --token (or MESH_HTTP_TOKEN) instead of --data', async () => {
    const token = await fileToken(hub.dataDir);
    const url = hub.url; // the MCP URL works too: /mcp is dropped
    expect((await cli(['sessions', '--url', url, '--token', token, '--data', path.join(tmp.dir, 'elsewhere')])).code).toBe(0);
    expect((await cli(['sessions', '--url', url, '--data', path.join(tmp.dir, 'elsewhere')], { MESH_HTTP_TOKEN: token })).code).toBe(0);
    const refused = await cli(['sessions', '--url', url, '--token', 'not-the-token-at-all', '--data', path.join(tmp.dir, 'elsewhere')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^mesh-assistant: UNAUTHENTICATED: the hub at http:\/\/127\.0\.0\.1:\d+ refused the token/);
  });
});

it('says clearly when no hub runs on a data folder, or at an address', async () => {
  const none = await cli(['status', '--data', path.join(tmp.dir, 'no-hub-here')]);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('HUB_UNREACHABLE: no running hub found for the data folder');
  const closed = await cli(['status', '--url', 'http://127.0.0.1:1', '--token', 'x'.repeat(20)]);
  expect(closed.code).toBe(1);
  expect(closed.stderr).toContain('HUB_UNREACHABLE: cannot reach the hub at http://127.0.0.1:1');
});

it('--help on each command', async () => {
  for (const command of ['status', 'nodes', 'sessions']) {
    const help = await cli([command, '--help']);
    expect(help.code, command).toBe(0);
    for (const flag of ['--data', '--url', '--token', '--json']) expect(help.stdout, `${command} ${flag}`).toContain(flag);
  }
});

describe('tables (pure)', () => {
  it('pads every column to its widest cell and shows control characters as "?"', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })), { maxLength: 20 }), (rows) => {
        const out = formatTable(['a', 'b'], rows);
        const lines = out.split('\n').slice(0, -1);
        expect(lines).toHaveLength(rows.length + 1);
        // eslint-disable-next-line no-control-regex
        expect(out.slice(0, -1)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        // The second column starts at the same place on every line.
        const width = Math.max(1, ...rows.map((r) => Math.min(r[0].length, 60)));
        for (const line of lines) expect(line.length === width || line.slice(width, width + 2) === '  ' || line.length <= width).toBe(true);
      }),
    );
  });

  it('draws progress', () => {
    expect(progressBar(0, 10, 10)).toBe('[..........]   0%');
    expect(progressBar(5, 10, 10)).toBe('[#####.....]  50%');
    expect(progressBar(10, 10, 10)).toBe('[##########] 100%');
    expect(progressBar(0, 0, 10)).toBe('[##########] 100%');
  });
});
