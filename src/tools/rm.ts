// `rm`: delete a file or folder on the mirror and every member.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { describeOutcomes, outcomeShape, outcomesOut, pathArg, sessionArg, type ToolContext } from './tool-shapes.js';

export function registerRm(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'rm',
    {
      title: 'Delete a file or folder',
      description:
        'Delete a file (or a link, never what it points to) from a session: on the hub mirror and on every member node; a node that is offline deletes it when it attaches again, and drift repair never brings it back. A folder needs `recursive: true` and is deleted with everything in it. The session root cannot be deleted. Returns each node\'s outcome.',
      inputSchema: {
        session: sessionArg,
        path: pathArg,
        recursive: z.boolean().optional().describe('Required to delete a folder and everything in it. Default false.'),
      },
      outputSchema: { session: z.string(), path: z.string(), outcomes: z.array(outcomeShape).describe('one per member node; offline: deleted when it attaches') },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, path, recursive }) =>
      runTool('rm', log, async () => {
        const r = await hub.fileOps.remove(session, path, recursive ?? false);
        return { structured: { session: r.session, path: r.path, outcomes: outcomesOut(r.outcomes) }, text: `Deleted ${session}:${r.path}. Nodes: ${describeOutcomes(r.outcomes)}.` };
      }),
  );
}
