// `write`: durable write of one file to the session mirror and every member node.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { decodeContent } from '../mcp/content-encoding.js';
import { runTool } from '../mcp/tool-result.js';
import { MAX_WRITE_BYTES } from '../mesh/hub/hub-options.js';
import { describeOutcomes, humanBytes, outcomeShape, outcomesOut, pathArg, sessionArg, type ToolContext } from './tool-shapes.js';

export function registerWrite(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'write',
    {
      title: 'Write a file',
      description: `Create or overwrite one file in a session: the hub writes its mirror durably, then delivers the file to every member node, and returns each node's outcome (an offline node gets it when it attaches again). Creates the session and missing folders when needed. Up to ${humanBytes(MAX_WRITE_BYTES)}; for larger files use \`push\`. Binary data: pass it as base64 with encoding "base64".`,
      inputSchema: {
        session: sessionArg,
        path: pathArg,
        content: z.string().describe('The whole new content of the file.'),
        encoding: z.enum(['utf8', 'base64']).default('utf8').describe('How `content` is encoded: "utf8" text (default) or "base64" bytes.'),
      },
      outputSchema: {
        session: z.string(),
        path: z.string(),
        sha256: z.string().describe('file hash of the bytes written, hex: SHA-256 over the SHA-256 of each 4 MiB block (README, File hash)'),
        size: z.number().describe('bytes'),
        outcomes: z.array(outcomeShape).describe('one per member node'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, path, content, encoding }) =>
      runTool('write', log, async () => {
        const result = await hub.write(session, path, decodeContent(content, encoding));
        const structured = { session: result.session, path: result.path, sha256: result.sha256, size: result.size, outcomes: outcomesOut(result.outcomes) };
        const text = `Wrote ${humanBytes(result.size)} to ${session}:${result.path} (sha256 ${result.sha256}). Nodes: ${describeOutcomes(result.outcomes)}.`;
        return { structured, text };
      }),
  );
}
