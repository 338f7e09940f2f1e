// Attack (or plain bad luck): promoting a skill deletes data that exists only
// where the session folder is replaced by a link. A node keeps files in its
// own copy of `skills/<name>/` that the hub never had; installing the
// promoted skill used to set that folder aside and remove it. On the hub, a
// file that reaches the mirror folder after the copy went the same way.
// Either way the folder must be kept, whole, in the library's `.kept/`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isLinkTo } from '../../src/mesh/skills/skill-link.js';
import { currentPath, listSkills, listVersions } from '../../src/mesh/skills/skill-library.js';
import { expectRecordedHashes, keptFolders, snapshotTree } from '../mesh/skills/helpers.js';
import { eventually, freePort, killAll, startHubDriver, startNodeProc, tempDir, waitAttached, type HubDriver, type Proc } from '../support/processes.js';

const md = (name: string) => `---\nname: ${name}\ndescription: Helps with ${name}.\n---\n# ${name}\n`;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HubDriver;
let node: Proc;
const ws = (id: string) => path.join(tmp.dir, id);
const nodeSite = (name: string) => path.join(ws('a'), 'sessions/team/skills', name);

beforeAll(async () => {
  tmp = await tempDir();
  const port = await freePort();
  // Drift is reported, not repaired: the node's own changes must survive until the promotion.
  hub = await startHubDriver(['--data', ws('hub'), '--grpc', `127.0.0.1:${port}`, '--drift', 'report']);
  node = startNodeProc({ id: 'a', workspace: ws('a'), hubPort: port, sessions: ['team'] });
  await waitAttached(node);
});

afterAll(async () => {
  await killAll();
  await tmp.cleanup();
});

/** Wait until the node logged that it installed `skill` (links set, folders kept). */
function installed(skill: string): Promise<string> {
  return node.waitFor((l) => l.includes('"msg":"skill installed"') && l.includes(`"skill":"${skill}"`), 20_000);
}

/** Write files into the hub mirror and wait until the node has them. */
async function writeSynced(files: Record<string, string>): Promise<void> {
  for (const [p, content] of Object.entries(files)) await hub.call({ op: 'write', session: 'team', path: p, content });
  for (const [p, content] of Object.entries(files)) {
    await eventually(async () => (await readFile(path.join(ws('a'), 'sessions/team', p), 'utf8').catch(() => '')) === content);
  }
}

it('keeps files that exist only on a node, and files it changed, when the node installs the promoted skill', async () => {
  await writeSynced({ 'skills/hello/SKILL.md': md('hello'), 'skills/hello/tool.sh': 'echo hi\n', 'skills/hello/docs/guide.md': 'guide\n' });
  // The node's own work in its copy of the folder.
  await writeFile(path.join(nodeSite('hello'), 'local-notes.md'), 'written on node a only\n');
  await mkdir(path.join(nodeSite('hello'), 'cache/deep'), { recursive: true });
  await writeFile(path.join(nodeSite('hello'), 'cache/deep/state.bin'), Buffer.from([0, 1, 2, 255]));
  await writeFile(path.join(nodeSite('hello'), 'tool.sh'), 'echo changed on node a\n');
  const before = await snapshotTree(nodeSite('hello'));

  const result = await hub.call({ op: 'promote', session: 'team', skill: 'hello' });
  expect(result).toMatchObject({ name: 'hello', status: 'promoted', version: 1, kept: [] });

  const library = path.join(ws('a'), 'skills');
  await installed('hello');
  expect(await isLinkTo(nodeSite('hello'), currentPath(library, 'hello'))).toBe(true);
  // The folder the link replaced is kept whole, byte for byte.
  const kept = await keptFolders(library, 'hello');
  expect(kept).toHaveLength(1);
  expect(await snapshotTree(kept[0]!)).toEqual(before);
  expect(await readFile(path.join(kept[0]!, 'local-notes.md'), 'utf8')).toBe('written on node a only\n');
  expect(await readFile(path.join(kept[0]!, 'tool.sh'), 'utf8')).toBe('echo changed on node a\n');

  // The node's log names the kept folder and the files.
  const line = JSON.parse(await node.waitFor(/kept session files that differ/, 10_000)) as Record<string, unknown>;
  expect(line).toMatchObject({
    skill: 'hello',
    kept: path.relative(library, kept[0]!),
    changed: ['tool.sh'],
    added: ['cache/deep/state.bin', 'local-notes.md'],
  });

  // Kept folders are not skills, not versions, and the library holds only what it recorded.
  expect((await listSkills(library)).map((s) => s.name)).toEqual(['hello']);
  expect(await listVersions(library, 'hello')).toEqual([]);
  await expectRecordedHashes(library);
  await expectRecordedHashes(path.join(ws('hub'), 'skills'));
});

it('keeps a file that reached the hub mirror folder after the copy, and says so in the result', async () => {
  await writeSynced({ 'skills/second/SKILL.md': md('second'), 'skills/second/a.txt': 'a\n' });
  // Something outside the mesh writes into the mirror folder between the copy and the link.
  const result = await hub.call({
    op: 'promote',
    session: 'team',
    skill: 'second',
    plant: { at: 'renamed', path: 'skills/second/late.txt', content: 'arrived after the copy\n' },
  });
  expect(result).toMatchObject({ name: 'second', status: 'promoted' });
  expect(result.kept).toEqual([expect.objectContaining({ changed: [], added: ['late.txt'], incomplete: false })]);
  const hubLibrary = path.join(ws('hub'), 'skills');
  const keptDir = path.join(hubLibrary, result.kept[0].path);
  expect(keptDir.startsWith(path.join(hubLibrary, '.kept', 'second') + path.sep)).toBe(true);
  expect(await readFile(path.join(keptDir, 'late.txt'), 'utf8')).toBe('arrived after the copy\n');
  expect(await readFile(path.join(keptDir, 'a.txt'), 'utf8')).toBe('a\n');
  await hub.waitFor(/kept mirror files that differ/, 10_000);
  expect(await isLinkTo(path.join(ws('hub'), 'sessions/team/skills/second'), currentPath(hubLibrary, 'second'))).toBe(true);
  expect((await listSkills(hubLibrary)).map((s) => s.name)).toEqual(['hello', 'second']);
  await expectRecordedHashes(hubLibrary);

  // The node's copy held nothing the library lacks: replaced by the link, nothing kept.
  const library = path.join(ws('a'), 'skills');
  await installed('second');
  expect(await isLinkTo(nodeSite('second'), currentPath(library, 'second'))).toBe(true);
  expect(await keptFolders(library, 'second')).toEqual([]);
  await expectRecordedHashes(library);
});
