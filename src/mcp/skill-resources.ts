// The hub's skills library as MCP resources: skill://<name> is a skill's
// SKILL.md, skill://<name>/<path> any file of it (both listed), and clients
// are told (notifications/resources/list_changed) when the library changes.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { toMeshError } from '../errors.js';
import type { Hub } from '../mesh/hub/hub.js';
import { sniffMediaType } from './content-encoding.js';

const SKILL_FILE = 'SKILL.md';
/** Most file resources one list returns: skills are bounded one by one, the library as a whole is not. */
export const MAX_LISTED_SKILL_FILES = 2_000;

function asMcpError(err: unknown): McpError {
  const e = toMeshError(err);
  const invalid = e.code === 'SKILL_NOT_FOUND' || e.code === 'NOT_FOUND' || e.code === 'INVALID_ARGUMENT';
  return new McpError(invalid ? ErrorCode.InvalidParams : ErrorCode.InternalError, `${e.code}: ${e.message}. ${e.hint}`, { code: e.code });
}

/** The URI of a file of a skill; each path segment percent-encoded. */
export function skillFileUri(name: string, path: string): string {
  return `skill://${encodeURIComponent(name)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function mediaTypeOf(path: string, data: Buffer): string {
  if (path.endsWith('.md')) return 'text/markdown';
  return sniffMediaType(data, true);
}

function variable(value: string | string[] | undefined): string {
  return decodeURIComponent(String(Array.isArray(value) ? value[0] : value));
}

async function readSkillFile(hub: Hub, uri: URL, name: string, path: string): Promise<ReadResourceResult> {
  // The verified copy: a file that was changed in the library after promotion is refused (CHECKSUM_MISMATCH).
  const files = await hub.skills.read(name);
  const file = files.find((f) => f.path === path);
  if (!file) throw new McpError(ErrorCode.InvalidParams, `NOT_FOUND: skill "${name}" has no file "${path}". List the skill's files (resources/list).`, { code: 'NOT_FOUND' });
  const mimeType = mediaTypeOf(path, file.data);
  const text = mimeType.startsWith('text/');
  return { contents: [text ? { uri: uri.href, mimeType, text: file.data.toString('utf8') } : { uri: uri.href, mimeType, blob: file.data.toString('base64') }] };
}

async function listSkillFiles(hub: Hub): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const skill of await hub.skills.list()) {
    for (const f of await hub.skills.listFiles(skill.name).catch(() => [])) {
      if (out.length >= MAX_LISTED_SKILL_FILES) return out;
      out.push({ uri: skillFileUri(skill.name, f.path), name: `${skill.name}/${f.path}`, title: `${f.path} of skill ${skill.name} v${skill.version}`, size: f.size });
    }
  }
  return out;
}

export function registerSkillResources(server: McpServer, hub: Hub): void {
  const skills = new ResourceTemplate('skill://{name}', {
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
  server.registerResource('skill', skills, { title: 'Skills library', description: 'Skills promoted into the hub library (SKILL.md of each).', mimeType: 'text/markdown' }, async (uri, vars) => {
    const name = variable(vars.name);
    try {
      const files = await hub.skills.read(name);
      const skillMd = files.find((f) => f.path === SKILL_FILE);
      const others = files.filter((f) => f.path !== SKILL_FILE).map((f) => f.path);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: skillMd?.data.toString('utf8') ?? '' }], _meta: { files: others } };
    } catch (err) {
      throw asMcpError(err);
    }
  });

  const files = new ResourceTemplate('skill://{name}/{+path}', {
    list: async () => ({ resources: await listSkillFiles(hub) }),
    complete: { name: async (prefix) => (await hub.skills.list()).map((s) => s.name).filter((n) => n.startsWith(prefix)) },
  });
  server.registerResource(
    'skill-file',
    files,
    { title: 'Skill files', description: 'Every file of a library skill (scripts, references, assets), as text or base64.' },
    async (uri, { name, path }) => {
      try {
        return await readSkillFile(hub, uri, variable(name), variable(path));
      } catch (err) {
        throw err instanceof McpError ? err : asMcpError(err);
      }
    },
  );

  // Tell this client when the library changes; the subscription ends with the server.
  const unsubscribe = hub.skills.onLibraryChange(() => server.sendResourceListChanged());
  const previous = server.server.onclose;
  server.server.onclose = () => {
    unsubscribe();
    previous?.();
  };
}
