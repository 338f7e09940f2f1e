// Attack: a promoted skill's files went to every node the hub knew, so a node
// granted only session B received a skill written in session A. A skill now
// goes only to members of the sessions it is linked in.
import { expect, it } from 'vitest';
import { attackFixture } from './fixture.js';
import { mint } from './operator.js';

const md = (name: string) => `---\nname: ${name}\ndescription: Helps with ${name}.\n---\n# ${name}\n`;
const fixture = attackFixture();

it('delivers a skill promoted in session A to members of A only', async () => {
  const mesh = await fixture.mesh();
  const insider = await mesh.startNode({ id: 'insider', sessions: ['a'] });
  const token = await mint(mesh.dataDir, 'b', 'outsider');
  const requests: string[] = [];
  const outsider = fixture.hostile({
    port: mesh.port,
    nodeId: 'outsider',
    token,
    sessions: ['b'],
    onRequest: (r, send) => {
      requests.push(String(r.op));
      send({ reply: { id: r.id, ok: {} } });
    },
  });
  await outsider.waitFrame('welcome');
  await mesh.hub.call({ op: 'write', session: 'a', path: 'skills/secret-tool/SKILL.md', content: md('secret-tool') });
  const promoted = await mesh.hub.call({ op: 'promote', session: 'a', skill: 'secret-tool' });
  expect(promoted.deliveringTo).toEqual(['insider']);
  await insider.waitFor((l) => l.includes('"msg":"skill installed"') && l.includes('secret-tool'));
  // Sent at the same moment as the insider's: had it been sent, it would be here.
  expect(requests).not.toContain('installSkill');
});
