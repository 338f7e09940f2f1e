// The hub's skills library as MCP resources: skill://<name> lists every
// library skill and reads its SKILL.md.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { toMeshError } from '../errors.js';
import type { Hub } from '../mesh/hub/hub.js';

const SKILL_FILE = 'SKILL.md';

export function registerSkillResources(server: McpServer, hub: Hub): void {
  const template = new ResourceTemplate('skill://{name}', {
    list: async () => ({
      resources: (await hub.skills.list()).map((s) => ({
        uri: `skill://${s.name}`,
        name: s.name,
        title: `${s.name} v${s.version}`,
        description: s.description,
        mimeType: 'text/markdown',
      })),
    }),
    complete: { name: async (prefix) => (await hub.skills.list()).map((s) => s.name).filter((n) => n.startsWith(prefix)) },
  });
  server.registerResource(
    'skill',
    template,
    { title: 'Skills library', description: 'Skills promoted into the hub library (SKILL.md of each).', mimeType: 'text/markdown' },
    async (uri, { name }) => {
      const skillName = Array.isArray(name) ? name[0] : name;
      try {
        const files = await hub.skills.read(String(skillName));
        const skillMd = files.find((f) => f.path === SKILL_FILE);
        const others = files.filter((f) => f.path !== SKILL_FILE).map((f) => f.path);
        return {
          contents: [{ uri: uri.href, mimeType: 'text/markdown', text: skillMd?.data.toString('utf8') ?? '' }],
          _meta: { files: others },
        };
      } catch (err) {
        const e = toMeshError(err);
        throw new McpError(e.code === 'SKILL_NOT_FOUND' ? ErrorCode.InvalidParams : ErrorCode.InternalError, `${e.code}: ${e.message}. ${e.hint}`, { code: e.code });
      }
    },
  );
}
