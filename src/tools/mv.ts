// `mv`: rename a file or folder on the mirror and every member.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { describeOutcomes, outcomeShape, outcomesOut, sessionArg, type ToolContext } from './tool-shapes.js';

const pathIn = (what: string) => z.string().min(1).max(4096).describe(`${what}, relative to the session root ("/" separated).`);

export function registerMv(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'mv',
    {
      title: 'Move or rename',
      description:
        'Move or rename a file or folder within a session, atomically, on the hub mirror and on every member node (an offline node does it when it attaches again). Missing folders of `to` are created. An existing `to` is refused unless `overwrite: true`, and a folder is never replaced. Returns each node\'s outcome.',
      inputSchema: {
        session: sessionArg,
        from: pathIn('Path to move'),
        to: pathIn('New path'),
        overwrite: z.boolean().optional().describe('Replace a file at `to`. Default false.'),
      },
      outputSchema: { session: z.string(), from: z.string(), to: z.string(), outcomes: z.array(outcomeShape).describe('one per member node; offline: moved when it attaches') },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    ({ session, from, to, overwrite }) =>
      runTool('mv', log, async () => {
        const r = await hub.fileOps.move(session, from, to, overwrite ?? false);
        return {
          structured: { session: r.session, from: r.path, to: r.to!, outcomes: outcomesOut(r.outcomes) },
          text: `Moved ${session}:${r.path} to ${r.to}. Nodes: ${describeOutcomes(r.outcomes)}.`,
        };
      }),
  );
}
