// `ls`: list a folder of a session, on the hub mirror, one node, or every member.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { MeshError } from '../errors.js';
import type { Answer, Listing } from '../mesh/hub/hub-files.js';
import { normalizeSessionPath } from '../mesh/fs/paths.js';
import type { Entry } from '../mesh/protocol/frames.js';
import { errorShape, nodeArg, sessionArg, type ToolContext } from './tool-shapes.js';

/** Deepest tree one `ls` returns. */
const MAX_LS_DEPTH = 10;

const entryShape = z.object({
  name: z.string().describe('the name; with depth > 1, the path below the listed folder ("sub/file.txt")'),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().describe('bytes; 0 for folders'),
  mtime: z.string().describe('last modification, ISO 8601'),
  depth: z.number().optional().describe('with depth > 1: 1 for the folder\'s own entries, 2 for theirs, ...'),
});

const outputSchema = {
  session: z.string(),
  path: z.string(),
  results: z.array(
    z.object({
      node: z.string().describe('"hub" for the mirror, else the node id'),
      ok: z.boolean(),
      entries: z.array(entryShape).optional(),
      truncated: z.boolean().optional().describe('true when the folder (or tree) had more entries than one listing returns'),
      error: errorShape.optional(),
    }),
  ),
};

type TreeListing = Omit<Listing, 'entries'> & { entries: Array<Entry & { depth?: number }> };

/** A tree as a listing: names relative to the listed folder, with their depth. */
async function tree(hub: ToolContext['hub'], session: string, path: string, depth: number, node?: string): Promise<Array<Answer<TreeListing>>> {
  const answers = await hub.search.tree(session, path, depth, node);
  const base = normalizeSessionPath(path);
  const below = (p: string) => (base === '.' ? p : p.slice(base.length + 1));
  // A walk started on a file returns that file: for `ls` it is not a folder, as at depth 1.
  const notDir = (a: Answer<unknown>) => a.ok && (a.value as { entries: Array<{ path: string }> }).entries.some((e) => e.path === base);
  const error = new MeshError('NOT_A_DIRECTORY', `"${base}" is a file, not a folder`);
  if (node !== '*' && answers.some(notDir)) throw error;
  return answers.map((a) =>
    notDir(a)
      ? { node: a.node, ok: false, error: { code: error.code, message: error.message } }
      : a.ok
      ? {
          node: a.node,
          ok: true,
          value: { truncated: a.value.truncated, entries: a.value.entries.map((e) => ({ name: below(e.path), type: e.type, size: e.size, mtimeMs: e.mtimeMs, depth: below(e.path).split('/').length })) },
        }
      : a,
  );
}

export function registerLs(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'ls',
    {
      title: 'List a folder',
      description:
        'List the entries (name, type, size in bytes, modification time) of a folder in a session. `depth` > 1 lists a tree (entries of sub-folders too, named by their path below the folder; at most 1,000 entries, links not followed). By default reads the hub\'s authoritative mirror; pass `node` to list one node\'s copy, or "*" to compare every member (a node that fails is reported beside the others).',
      inputSchema: {
        session: sessionArg,
        path: z.string().max(4096).default('.').describe('Folder relative to the session root; "." (default) is the root.'),
        node: nodeArg,
        depth: z.number().int().min(1).max(MAX_LS_DEPTH).optional().describe(`Levels to list: 1 (default) the folder itself, up to ${MAX_LS_DEPTH} for a tree.`),
      },
      outputSchema,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ session, path, node, depth }) =>
      runTool('ls', log, async () => {
        const answers: Array<Answer<TreeListing>> = depth && depth > 1 ? await tree(hub, session, path, depth, node) : await hub.files.ls(session, path, node);
        const results = answers.map((a) =>
          a.ok
            ? {
                node: a.node,
                ok: true,
                entries: a.value.entries.map((e) => ({ name: e.name, type: e.type, size: e.size, mtime: new Date(e.mtimeMs).toISOString(), ...(e.depth ? { depth: e.depth } : {}) })),
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
