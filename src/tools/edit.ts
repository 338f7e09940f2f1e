// `edit`: exact-text replacements in one file, all or none, delivered like `write`.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { MAX_EDITS } from '../mesh/fs/text-edit.js';
import { MAX_WRITE_BYTES } from '../mesh/hub/hub-options.js';
import { describeOutcomes, humanBytes, outcomeShape, outcomesOut, pathArg, sessionArg, type ToolContext } from './tool-shapes.js';

export function registerEdit(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'edit',
    {
      title: 'Edit a file',
      description: `Replace exact text in one file of a session: each \`oldText\` must occur exactly once (edits apply in order, each to the result of the ones before); if any is missing or ambiguous nothing changes and the error names it by index. Returns a unified diff. The result lands on the hub mirror and every member node like \`write\` (files up to ${humanBytes(MAX_WRITE_BYTES)}, text only). \`dryRun\` shows the diff without writing. Two edits of one file at once never lose a change: the second applies to the first's result, or fails saying why.`,
      inputSchema: {
        session: sessionArg,
        path: pathArg,
        edits: z
          .array(z.object({ oldText: z.string().describe('Text to find, exactly (whitespace and line ends included); must occur once.'), newText: z.string().describe('Replacement.') }))
          .max(MAX_EDITS)
          .describe('Replacements, applied in order.'),
        dryRun: z.boolean().optional().describe('Show the diff only; write nothing. Default false.'),
      },
      outputSchema: {
        session: z.string(),
        path: z.string(),
        diff: z.string().describe('unified diff of the change ("" when nothing changed)'),
        dryRun: z.boolean(),
        baseSha256: z.string().describe('SHA-256 of the content the edits were applied to'),
        sha256: z.string().optional().describe('SHA-256 of the new content (not on a dry run)'),
        size: z.number().optional().describe('bytes of the new content (not on a dry run)'),
        outcomes: z.array(outcomeShape).optional().describe('one per member node (not on a dry run)'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    ({ session, path, edits, dryRun }) =>
      runTool('edit', log, async () => {
        const r = await hub.edit(session, path, edits, dryRun ?? false);
        const written = r.outcomes ? { sha256: r.sha256!, size: r.size!, outcomes: outcomesOut(r.outcomes) } : {};
        const structured = { session: r.session, path: r.path, diff: r.diff, dryRun: r.dryRun, baseSha256: r.baseSha256, ...written };
        const head = r.dryRun
          ? `Dry run: ${session}:${r.path} would change as follows (nothing written).`
          : `Edited ${session}:${r.path} (${humanBytes(r.size!)}, sha256 ${r.sha256}). Nodes: ${describeOutcomes(r.outcomes!)}.`;
        return { structured, text: `${head}\n${r.diff || '(no change)'}` };
      }),
  );
}
