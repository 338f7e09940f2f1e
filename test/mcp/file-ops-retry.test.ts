// An rm that an attached node does not answer in time (here: the node is
// SIGSTOPped) is reported pending, and asked again once the node answers
// again: the file goes, without the node having to reattach.
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';
import { data, killStdioHubs, startStdioHub } from './mcp-hub.js';

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
const exists = (p: string) => lstat(p).then(() => true, () => false);

afterAll(async () => {
  killStdioHubs();
  await killAll();
  await tmp?.cleanup();
});

it('an attached node that did not answer an rm in time gets it again and deletes the file', async () => {
  tmp = await tempDir('mesh-file-ops-retry-');
  const sourceRoot = path.join(tmp.dir, 'src');
  await mkdir(sourceRoot, { recursive: true });
  const grpcPort = await freePort();
  const hub = await startStdioHub({ dataDir: path.join(tmp.dir, 'hub'), grpcPort, sourceRoot });
  const node = startNodeProc({ id: 'slow', workspace: path.join(tmp.dir, 'slow'), hubPort: grpcPort, sessions: ['demo'] });
  await waitAttached(node);
  await eventually(async () => data(await hub.call('status')).online.includes('slow'));
  data(await hub.call('write', { session: 'demo', path: 'victim.txt', content: 'x' }));
  const onNode = path.join(tmp.dir, 'slow', 'sessions', 'demo', 'victim.txt');
  expect(await exists(onNode)).toBe(true);

  node.child.kill('SIGSTOP');
  try {
    const r = data(await hub.call('rm', { session: 'demo', path: 'victim.txt' }, { timeout: 60_000 }));
    expect(r.outcomes).toEqual([expect.objectContaining({ node: 'slow', status: 'pending', error: expect.objectContaining({ code: 'NODE_TIMEOUT' }) })]);
    expect(await exists(onNode)).toBe(true);
  } finally {
    node.child.kill('SIGCONT');
  }
  await eventually(async () => !(await exists(onNode)), 30_000);
  // The node may also run the late request it read after SIGCONT; what shows the hub asked again (and
  // pruned its record) is its own log line.
  const replayed = (l: string) => {
    try {
      const j = JSON.parse(l) as { msg?: string; node?: string; status?: string };
      return j.msg === 'queued remove replayed' && j.node === 'slow' && j.status === 'ok';
    } catch {
      return false;
    }
  };
  await eventually(() => hub.lines.some(replayed), 30_000);
}, 90_000);
