// `cat`: read a file (or a byte range of it) from a session, as text, or as
// base64 when asked; binary content is refused in text mode.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { MeshError, toMeshError } from '../errors.js';
import { decodeTextWindow, sniffMediaType } from '../mcp/content-encoding.js';
import { runTool } from '../mcp/tool-result.js';
import type { ReadResult } from '../mesh/hub/hub-files.js';
import { errorShape, humanBytes, nodeArg, pathArg, sessionArg, type ToolContext } from './tool-shapes.js';

/** Largest window one call returns, bytes: keeps a result well inside an MCP client's message limits. */
export const MAX_CAT_LENGTH = 1024 * 1024;

const resultShape = z.object({
  node: z.string(),
  ok: z.boolean(),
  encoding: z.enum(['utf8', 'base64']).optional(),
  content: z.string().optional(),
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

function toResult(node: string, read: ReadResult, encoding: 'utf8' | 'base64' | undefined, path: string): CatResult {
  const { data, size, offset } = read;
  if (size > 0 && offset >= size) return { node, ok: true, encoding: encoding ?? 'utf8', content: '', size, offset, bytes: 0, truncated: false, eof: true };
  const more = offset + data.length < size;
  if (encoding === 'base64') {
    const end = offset + data.length;
    return { node, ok: true, encoding, content: data.toString('base64'), mediaType: sniffMediaType(data, offset === 0), size, offset, bytes: data.length, truncated: more, ...(more ? { nextOffset: end } : {}) };
  }
  const window = decodeTextWindow(data, { midFile: offset > 0, more });
  if (!window) throw new MeshError('BINARY_CONTENT', `"${path}" on ${node} is binary (NUL bytes or invalid UTF-8)`, { node, path });
  const start = offset + window.skippedHead;
  const bytes = data.length - window.skippedHead - window.droppedTail;
  const truncated = start + bytes < size;
  return { node, ok: true, encoding: 'utf8', content: window.text, size, offset: start, bytes, truncated, ...(truncated ? { nextOffset: start + bytes } : {}) };
}

function describe(session: string, path: string, r: CatResult): string {
  if (!r.ok) return `[${r.node}] ${r.error!.code}: ${r.error!.message}`;
  if (r.eof) return `[${r.node}] ${session}:${path}: EOF, offset ${r.offset} is at or past the end of the file (${humanBytes(r.size!)}); nothing more to read`;
  const range = r.truncated || r.offset ? `bytes ${r.offset}-${r.offset! + r.bytes! - 1} of ${humanBytes(r.size!)}` : humanBytes(r.size!);
  const more = r.truncated ? `; truncated, call again with offset ${r.nextOffset}` : '';
  const kind = r.encoding === 'base64' ? `, base64 ${r.mediaType}` : '';
  return `[${r.node}] ${session}:${path} (${range}${kind}${more})\n${r.content}`;
}

export function registerCat(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'cat',
    {
      title: 'Read a file',
      description: `Read a file of a session as text (UTF-8). Returns at most \`length\` bytes from \`offset\` (default 256 KiB, at most ${MAX_CAT_LENGTH / 1024} KiB per call); when the result says truncated, call again with \`offset\` = nextOffset. Binary files are refused with BINARY_CONTENT unless \`encoding\` is "base64", which returns the bytes as base64 with a media type. By default reads the hub's mirror; \`node\` reads one node's copy, "*" every member's.`,
      inputSchema: {
        session: sessionArg,
        path: pathArg,
        node: nodeArg,
        offset: z.number().int().min(0).optional().describe('First byte to read (default 0).'),
        length: z.number().int().min(1).max(MAX_CAT_LENGTH).optional().describe('Bytes to read (default 262144).'),
        encoding: z.enum(['utf8', 'base64']).optional().describe('"utf8" (default) returns text; "base64" returns the raw bytes, for binary files.'),
      },
      outputSchema: { session: z.string(), path: z.string(), results: z.array(resultShape) },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ session, path, node, offset, length, encoding }) =>
      runTool('cat', log, async () => {
        const answers = await hub.files.cat(session, path, { node, offset, length });
        const single = node !== '*';
        const results = answers.map((a): CatResult => {
          if (!a.ok) return { node: a.node, ok: false, error: a.error };
          try {
            return toResult(a.node, a.value, encoding, path);
          } catch (err) {
            // One target: the whole call fails; several: this node's answer does.
            if (single) throw err;
            const e = toMeshError(err);
            return { node: a.node, ok: false, error: { code: e.code, message: e.message } };
          }
        });
        return { structured: { session, path, results }, text: results.map((r) => describe(session, path, r)).join('\n\n') };
      }),
  );
}
