// `ls`: list a folder of a session, on the hub mirror, one node, or every member.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { errorShape, nodeArg, sessionArg, type ToolContext } from './tool-shapes.js';

const entryShape = z.object({
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().describe('bytes; 0 for folders'),
  mtime: z.string().describe('last modification, ISO 8601'),
});

const outputSchema = {
  session: z.string(),
  path: z.string(),
  results: z.array(
    z.object({
      node: z.string().describe('"hub" for the mirror, else the node id'),
      ok: z.boolean(),
      entries: z.array(entryShape).optional(),
      truncated: z.boolean().optional().describe('true when the folder had more entries than one listing returns'),
      error: errorShape.optional(),
    }),
  ),
};

export function registerLs(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'ls',
    {
      title: 'List a folder',
      description:
        'List the entries (name, type, size in bytes, modification time) of a folder in a session. By default reads the hub\'s authoritative mirror; pass `node` to list one node\'s copy, or "*" to compare every member (a node that fails is reported beside the others).',
      inputSchema: {
        session: sessionArg,
        path: z.string().max(4096).default('.').describe('Folder relative to the session root; "." (default) is the root.'),
        node: nodeArg,
      },
      outputSchema,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ session, path, node }) =>
      runTool('ls', log, async () => {
        const answers = await hub.files.ls(session, path, node);
        const results = answers.map((a) =>
          a.ok
            ? {
                node: a.node,
                ok: true,
                entries: a.value.entries.map((e) => ({ name: e.name, type: e.type, size: e.size, mtime: new Date(e.mtimeMs).toISOString() })),
                truncated: a.value.truncated,
              }
            : { node: a.node, ok: false, error: a.error },
        );
        const text = results
          .map((r) => {
            if (!r.ok) return `[${r.node}] ${r.error!.code}: ${r.error!.message}`;
            const lines = r.entries!.map((e) => `${e.type === 'directory' ? `${e.name}/` : e.name}\t${e.type}\t${e.size}\t${e.mtime}`);
            const head = `[${r.node}] ${session}:${path} — ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'}${r.truncated ? ' (truncated)' : ''}`;
            return [head, ...lines].join('\n');
          })
          .join('\n\n');
        return { structured: { session, path, results }, text };
      }),
  );
}
