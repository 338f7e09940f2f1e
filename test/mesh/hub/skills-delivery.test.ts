// Promotion seen from the mesh: a skill promoted on the hub reaches every
// node's own library, sessions that hold it become links there too, an
// offline node gets it when it comes back, and --auto-promote promotes a
// skill once its writes settle.
import { lstat, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, freePort, killAll, startHubDriver, startNodeProc, tempDir, waitAttached, type HubDriver } from '../../support/processes.js';

const SKILL_MD = '---\nname: hello\ndescription: Greets people politely.\n---\n# Hello\nSay hello.\n';
let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HubDriver;
let port: number;
const ws = (id: string) => path.join(tmp.dir, id);

beforeAll(async () => {
  tmp = await tempDir();
  port = await freePort();
  hub = await startHubDriver(['--data', ws('hub'), '--grpc', `127.0.0.1:${port}`, '--auto-promote']);
});

afterAll(async () => {
  await killAll();
  await tmp.cleanup();
});

async function isLinkInto(sitePath: string, library: string): Promise<boolean> {
  const st = await lstat(sitePath).catch(() => undefined);
  if (!st?.isSymbolicLink()) return false;
  return (await realpath(sitePath)) === (await realpath(library));
}

it('delivers a promoted skill to every member of its session, with links, and to offline members later; never to other nodes', async () => {
  const a = startNodeProc({ id: 'a', workspace: ws('a'), hubPort: port, sessions: ['team'] });
  const b = startNodeProc({ id: 'b', workspace: ws('b'), hubPort: port, sessions: ['team'] });
  const other = startNodeProc({ id: 'other', workspace: ws('other'), hubPort: port, sessions: ['elsewhere'] });
  await Promise.all([waitAttached(a), waitAttached(b), waitAttached(other)]);
  await hub.call({ op: 'write', session: 'team', path: 'skills/hello/SKILL.md', content: SKILL_MD });
  await hub.call({ op: 'write', session: 'team', path: 'skills/hello/tool.sh', content: 'echo hi\n' });
  await b.kill('SIGKILL'); // offline while the skill is promoted

  // Invalid input changes nothing and names the problem.
  await expect(hub.call({ op: 'promote', session: 'team', skill: 'skills/missing' })).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|SKILL_INVALID/) });

  const result = await hub.call({ op: 'promote', session: 'team', skill: 'hello' });
  // This hub runs --auto-promote (for the test below): on a loaded machine the writes may settle and promote the
  // skill before this call, which then finds it unchanged. Either way it is promoted once.
  expect(result).toMatchObject({ name: 'hello', version: 1 });
  expect(['promoted', 'unchanged']).toContain(result.status);
  expect(await isLinkInto(path.join(ws('hub'), 'sessions/team/skills/hello'), path.join(ws('hub'), 'skills/hello'))).toBe(true);

  // Attached nodes: their library holds the skill, the session copy is a link into it.
  await eventually(() => isLinkInto(path.join(ws('a'), 'sessions/team/skills/hello'), path.join(ws('a'), 'skills/hello')));
  expect(await readFile(path.join(ws('a'), 'skills/hello/SKILL.md'), 'utf8')).toBe(SKILL_MD);
  expect(await readFile(path.join(ws('a'), 'sessions/team/skills/hello/tool.sh'), 'utf8')).toBe('echo hi\n');
  // A node of another session is not granted what the skill came from: it gets nothing (checked once the
  // deliveries sent with a's are done).
  await hub.waitFor((l) => l.includes('"msg":"skill delivered"') && l.includes('"node":"a"'));
  await expect(lstat(path.join(ws('other'), 'skills/hello'))).rejects.toThrow();
  await expect(lstat(path.join(ws('other'), 'sessions/team'))).rejects.toThrow();
  expect(result.deliveringTo).toEqual(['a', 'b']);

  // The offline node gets it when it returns.
  const b2 = startNodeProc({ id: 'b', workspace: ws('b'), hubPort: port, sessions: ['team'] });
  await waitAttached(b2);
  await eventually(() => isLinkInto(path.join(ws('b'), 'sessions/team/skills/hello'), path.join(ws('b'), 'skills/hello')));
  expect(await readlink(path.join(ws('b'), 'sessions/team/skills/hello'))).toContain(path.join(ws('b'), 'skills'));

  // Promoting the same content again is a no-op that says so.
  expect(await hub.call({ op: 'promote', session: 'team', skill: 'skills/hello' })).toMatchObject({ status: 'unchanged', version: 1 });
});

it('auto-promotes a skill once its writes settle and its SKILL.md is valid', async () => {
  const md = SKILL_MD.replace(/hello/g, 'auto-one');
  await hub.call({ op: 'write', session: 'team', path: 'skills/auto-one/notes.txt', content: 'part of the skill\n' });
  await hub.call({ op: 'write', session: 'team', path: 'skills/auto-one/SKILL.md', content: md });
  await eventually(() => isLinkInto(path.join(ws('hub'), 'sessions/team/skills/auto-one'), path.join(ws('hub'), 'skills/auto-one')), 15_000);
  expect(await readFile(path.join(ws('hub'), 'skills/auto-one/notes.txt'), 'utf8')).toBe('part of the skill\n');
  // An invalid SKILL.md is not promoted.
  await hub.call({ op: 'write', session: 'team', path: 'skills/broken/SKILL.md', content: '---\nname: Not_Valid\n---\n' });
  await hub.waitFor(/"skill":"broken".*not promoted automatically/, 10_000);
  expect((await lstat(path.join(ws('hub'), 'sessions/team/skills/broken'))).isDirectory()).toBe(true);
});
