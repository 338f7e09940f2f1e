// `cat`: read a file (or a byte range of it), or several files, from a
// session: text as text, a whole image as image content, other binary as an
// embedded resource, or raw base64 when asked.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MeshError, toMeshError } from '../errors.js';
import { binaryBlock } from '../mcp/binary-content.js';
import { decodeTextWindow, sniffMediaType } from '../mcp/content-encoding.js';
import { runTool } from '../mcp/tool-result.js';
import type { ReadResult } from '../mesh/hub/hub-files.js';
import { errorShape, humanBytes, nodeArg, pathArg, sessionArg, type ToolContext } from './tool-shapes.js';

/** Largest window one call returns, bytes (all `paths` together): keeps a result well inside an MCP client's message limits. */
export const MAX_CAT_LENGTH = 1024 * 1024;
/** Files one call may read. */
export const MAX_CAT_PATHS = 20;
const DEFAULT_LENGTH = 256 * 1024;

const resultShape = z.object({
  node: z.string(),
  path: z.string().optional().describe('the file this result is for (with `paths`)'),
  ok: z.boolean(),
  encoding: z.enum(['utf8', 'base64']).optional(),
  content: z.string().optional().describe('text, or base64; absent when the bytes came as an image or resource block'),
  returnedAs: z.enum(['image', 'resource']).optional().describe('binary content sent as an MCP image or embedded resource block'),
  mediaType: z.string().optional().describe('for base64 content'),
  size: z.number().optional().describe('whole file, bytes'),
  offset: z.number().optional().describe('first byte returned'),
  bytes: z.number().optional().describe('bytes returned'),
  truncated: z.boolean().optional().describe('true when the file goes on after the returned window'),
  nextOffset: z.number().optional().describe('offset to read the rest from'),
  eof: z.boolean().optional().describe('true when `offset` was at or past the end of the file: nothing was read'),
  error: errorShape.optional(),
});
type CatResult = z.infer<typeof resultShape>;
type Blocks = CallToolResult['content'];

function toResult(node: string, read: ReadResult, encoding: 'utf8' | 'base64' | undefined, uri: string, blocks: Blocks): CatResult {
  const { data, size, offset } = read;
  if (size > 0 && offset >= size) return { node, ok: true, encoding: encoding ?? 'utf8', content: '', size, offset, bytes: 0, truncated: false, eof: true };
  const end = offset + data.length;
  const more = end < size;
  if (encoding === 'base64') {
    return { node, ok: true, encoding, content: data.toString('base64'), mediaType: sniffMediaType(data, offset === 0), size, offset, bytes: data.length, truncated: more, ...(more ? { nextOffset: end } : {}) };
  }
  const window = decodeTextWindow(data, { midFile: offset > 0, more });
  if (!window) {
    const binary = binaryBlock(data, offset, size, uri);
    blocks.push(binary.block);
    return { node, ok: true, encoding: 'base64', returnedAs: binary.kind, mediaType: binary.mediaType, size, offset, bytes: data.length, truncated: more, ...(more ? { nextOffset: end } : {}) };
  }
  const start = offset + window.skippedHead;
  const bytes = data.length - window.skippedHead - window.droppedTail;
  const truncated = start + bytes < size;
  return { node, ok: true, encoding: 'utf8', content: window.text, size, offset: start, bytes, truncated, ...(truncated ? { nextOffset: start + bytes } : {}) };
}

function describe(session: string, r: CatResult): string {
  if (!r.ok) return `[${r.node}] ${r.path ? `${r.path}: ` : ''}${r.error!.code}: ${r.error!.message}`;
  if (r.eof) return `[${r.node}] ${session}:${r.path}: EOF, offset ${r.offset} is at or past the end of the file (${humanBytes(r.size!)}); nothing more to read`;
  const range = r.truncated || r.offset ? `bytes ${r.offset}-${r.offset! + r.bytes! - 1} of ${humanBytes(r.size!)}` : humanBytes(r.size!);
  const more = r.truncated ? `; truncated, call again with offset ${r.nextOffset}` : '';
  const kind = r.returnedAs ? `, ${r.mediaType} as an ${r.returnedAs} block` : r.encoding === 'base64' ? `, base64 ${r.mediaType}` : '';
  return `[${r.node}] ${session}:${r.path} (${range}${kind}${more})${r.content === undefined ? '' : `\n${r.content}`}`;
}

export function registerCat(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'cat',
    {
      title: 'Read files',
      description: `Read a file of a session (\`path\`), or up to ${MAX_CAT_PATHS} files at once (\`paths\`, each with its own result or error). Text comes back as text (UTF-8): at most \`length\` bytes from \`offset\` (default 256 KiB; at most ${MAX_CAT_LENGTH / 1024} KiB per call, shared by all paths); when a result says truncated, call again with \`offset\` = nextOffset. A whole image (PNG, JPEG, GIF, WebP) comes back as image content, other binary as an embedded resource; \`encoding: "base64"\` returns raw base64 text instead. By default reads the hub's mirror; \`node\` reads one node's copy, "*" every member's.`,
      inputSchema: {
        session: sessionArg,
        path: pathArg.optional(),
        paths: z.array(pathArg).max(MAX_CAT_PATHS).optional().describe(`Several files to read in one call (instead of \`path\`), at most ${MAX_CAT_PATHS}.`),
        node: nodeArg,
        offset: z.number().int().min(0).optional().describe('First byte to read (default 0).'),
        length: z.number().int().min(1).max(MAX_CAT_LENGTH).optional().describe('Bytes to read per file (default 262144).'),
        encoding: z.enum(['utf8', 'base64']).optional().describe('"utf8" (default): text, images and other binary as content blocks; "base64": the raw bytes as base64 text.'),
      },
      outputSchema: { session: z.string(), path: z.string().optional(), results: z.array(resultShape) },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ session, path, paths, node, offset, length, encoding }) =>
      runTool('cat', log, async () => {
        if ((path === undefined) === (paths === undefined) || paths?.length === 0) throw new MeshError('INVALID_ARGUMENT', 'give either `path` (one file) or `paths` (several)');
        const files = paths ?? [path!];
        // All paths share the call's byte budget.
        const perFile = Math.max(1, Math.min(length ?? DEFAULT_LENGTH, Math.floor(MAX_CAT_LENGTH / files.length)));
        const single = files.length === 1 && node !== '*';
        const perPath = await Promise.all(
          files.map(async (file): Promise<{ results: CatResult[]; blocks: Blocks }> => {
            const blocks: Blocks = [];
            let answers;
            try {
              answers = await hub.files.cat(session, file, { node, offset, length: perFile });
            } catch (err) {
              if (!paths) throw err; // one path: the call fails as a whole
              const e = toMeshError(err);
              return { results: [{ node: node ?? 'hub', path: file, ok: false, error: { code: e.code, message: e.message } }], blocks };
            }
            const results = answers.map((a): CatResult => {
              if (!a.ok) return { node: a.node, path: file, ok: false, error: a.error };
              try {
                return { ...toResult(a.node, a.value, encoding, `mesh://${a.node}/${session}/${file}`, blocks), path: file };
              } catch (err) {
                if (single) throw err;
                const e = toMeshError(err);
                return { node: a.node, path: file, ok: false, error: { code: e.code, message: e.message } };
              }
            });
            return { results, blocks };
          }),
        );
        const results = perPath.flatMap((p) => p.results);
        const blocks = perPath.flatMap((p) => p.blocks);
        const structured = { session, ...(path !== undefined ? { path } : {}), results };
        return { structured, text: results.map((r) => describe(session, r)).join('\n\n'), content: blocks };
      }),
  );
}
