// Attack: another user on the hub's or a node's machine reads the data
// folder (store, mirrors, staging, skills library) or a workspace. A real
// hub and a real node run under umask 022, which would leave 755/644 behind;
// after a write, a chunked push and a skill promotion, no folder or file in
// the data folder or the workspace has a group or other permission bit. A
// data folder and a workspace created open to others are tightened at start.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CLI, eventually, freePort, killAll, tempDir, waitAttached, wrapChild } from '../support/processes.js';
import { data, killStdioHubs, startStdioHub } from '../mcp/mcp-hub.js';

afterAll(async () => {
  killStdioHubs();
  await killAll();
});

/** Every entry below `dir` whose mode lets group or other users in (links themselves have no mode of their own). */
async function openToOthers(dir: string, seen: string[] = []): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const abs = path.join(dir, name);
    const info = await lstat(abs);
    seen.push(abs);
    if (info.isSymbolicLink()) continue;
    if ((info.mode & 0o077) !== 0) found.push(`${abs} ${(info.mode & 0o777).toString(8)}`);
    if (info.isDirectory()) found.push(...(await openToOthers(abs, seen)));
  }
  return found;
}

it('under umask 022, everything the hub and the node create is for their owner only', async () => {
  const tmp = await tempDir('mesh-modes-');
  try {
    const dataDir = path.join(tmp.dir, 'hub');
    const workspace = path.join(tmp.dir, 'ws');
    const sourceRoot = path.join(tmp.dir, 'src');
    // Both roots exist already, open to others: they are tightened at start.
    await mkdir(dataDir, { mode: 0o755 });
    await mkdir(workspace, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    await chmod(workspace, 0o755);
    await mkdir(sourceRoot);
    await writeFile(path.join(sourceRoot, 'big.bin'), randomBytes(1024 * 1024), { mode: 0o644 });
    const grpcPort = await freePort();
    const hub = await startStdioHub({ dataDir, grpcPort, sourceRoot, umask: '022' });

    const child = spawn(
      '/bin/sh',
      ['-c', 'umask 022; exec "$0" "$@"', process.execPath, CLI, 'node', '--hub', `127.0.0.1:${grpcPort}`, '--id', 'n1', '--workspace', workspace, '--session', 'demo'],
      { env: { ...process.env, MESH_NODE_TOKEN: 'test-token', MESH_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const node = wrapChild(child, 'node');
    await waitAttached(node);

    const onNode = (rel: string) => path.join(workspace, 'sessions', 'demo', rel);
    expect(data(await hub.call('write', { session: 'demo', path: 'notes/a.txt', content: 'private' })).outcomes).toEqual([
      expect.objectContaining({ node: 'n1', status: 'ok' }),
    ]);
    expect(data(await hub.call('push', { session: 'demo', source: 'big.bin', dest: 'big/b.bin' })).outcomes).toEqual([
      expect.objectContaining({ node: 'n1', status: 'ok' }),
    ]);
    const md = '---\nname: tool\ndescription: A private tool.\n---\n\n# Tool\n';
    data(await hub.call('write', { session: 'demo', path: 'skills/tool/SKILL.md', content: md }));
    expect(data(await hub.call('promote-skill', { session: 'demo', skill: 'tool' })).status).toBe('promoted');
    await eventually(async () => (await readFile(path.join(workspace, 'skills', 'tool', 'SKILL.md'), 'utf8').catch(() => '')) === md);
    expect(await readFile(onNode('notes/a.txt'), 'utf8')).toBe('private');
    expect((await stat(onNode('big/b.bin'))).size).toBe(1024 * 1024);

    const seen: string[] = [];
    expect(await openToOthers(dataDir, seen)).toEqual([]);
    expect(await openToOthers(workspace, seen)).toEqual([]);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(workspace)).mode & 0o777).toBe(0o700);
    // The walk did see the store, the mirror, the library and the node's copy.
    for (const must of ['mesh.sqlite', 'mesh.sqlite-wal', path.join('sessions', 'demo', 'big', 'b.bin'), path.join('skills', 'tool', 'SKILL.md')]) {
      expect(seen, must).toContain(path.join(dataDir, must));
    }
    expect(seen).toContain(onNode('notes/a.txt'));
    // One warning each for the roots found open to others.
    expect(hub.lines.filter((l) => l.includes('data folder was open to other users'))).toHaveLength(1);
    expect(node.count(/workspace was open to other users/)).toBe(1);
    await hub.close();
  } finally {
    await tmp.cleanup();
  }
}, 60_000);
