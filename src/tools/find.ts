// `find`: paths whose name matches a glob, on the mirror, one node, or every member.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { DEFAULT_FIND_LIMIT, MAX_FIND_LIMIT } from '../mesh/fs/find-ops.js';
import { MAX_GLOB_LENGTH } from '../mesh/fs/glob.js';
import { errorShape, nodeArg, sessionArg, type ToolContext } from './tool-shapes.js';

const entryShape = z.object({
  path: z.string().describe('relative to the session root'),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().describe('bytes; 0 for folders'),
  mtime: z.string().describe('last modification, ISO 8601'),
});

export function registerFind(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'find',
    {
      title: 'Find files by name',
      description: `Find files and folders in a session whose path matches a glob: \`*\` and \`?\` within a name, \`**\` for any number of folders, \`[abc]\`, \`{a,b}\`. A pattern without "/" matches names ("*.md"); with "/" it matches the path from the session root ("docs/**/*.md"). Links are listed, not followed. At most \`limit\` entries (default ${DEFAULT_FIND_LIMIT}, at most ${MAX_FIND_LIMIT}); \`truncated\` says when there were more. Reads the hub mirror by default; \`node\` searches one node's copy, "*" every member's.`,
      inputSchema: {
        session: sessionArg,
        pattern: z.string().min(1).max(MAX_GLOB_LENGTH).describe('Glob, e.g. "*.ts" or "src/**/test_*.py".'),
        path: z.string().max(4096).default('.').describe('Folder to search below; "." (default) is the session root.'),
        node: nodeArg,
        limit: z.number().int().min(1).max(MAX_FIND_LIMIT).optional().describe(`Most entries to return (default ${DEFAULT_FIND_LIMIT}).`),
      },
      outputSchema: {
        session: z.string(),
        pattern: z.string(),
        results: z.array(z.object({ node: z.string(), ok: z.boolean(), entries: z.array(entryShape).optional(), truncated: z.boolean().optional(), error: errorShape.optional() })),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, pattern, path, node, limit }) =>
      runTool('find', log, async () => {
        const answers = await hub.search.find(session, path, { pattern, limit }, node);
        const results = answers.map((a) =>
          a.ok
            ? { node: a.node, ok: true, truncated: a.value.truncated, entries: a.value.entries.map((e) => ({ path: e.path, type: e.type, size: e.size, mtime: new Date(e.mtimeMs).toISOString() })) }
            : { node: a.node, ok: false, error: a.error },
        );
        const text = results
          .map((r) => {
            if (!r.ok) return `[${r.node}] ${r.error!.code}: ${r.error!.message}`;
            const head = `[${r.node}] ${r.entries!.length} match${r.entries!.length === 1 ? '' : 'es'} for ${JSON.stringify(pattern)}${r.truncated ? ' (truncated: raise limit or narrow the pattern)' : ''}`;
            return [head, ...r.entries!.map((e) => (e.type === 'directory' ? `${e.path}/` : e.path))].join('\n');
          })
          .join('\n\n');
        return { structured: { session, pattern, results }, text };
      }),
  );
}
