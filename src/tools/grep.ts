// `grep`: lines that match, searched where the data is (each node for "*").
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { DEFAULT_GREP_RESULTS, MAX_GREP_DEADLINE_MS, MAX_GREP_RESULTS, MAX_MATCH_TEXT } from '../mesh/fs/grep-ops.js';
import { MAX_GLOB_LENGTH } from '../mesh/fs/glob.js';
import { MAX_PATTERN_LENGTH } from '../mesh/fs/search-pattern.js';
import { errorShape, humanBytes, nodeArg, sessionArg, type ToolContext } from './tool-shapes.js';

const resultShape = z.object({
  node: z.string(),
  ok: z.boolean(),
  matches: z.array(z.object({ path: z.string(), line: z.number().describe('from 1'), text: z.string() })).optional(),
  truncated: z.boolean().optional().describe('more matches than maxResults, or a time or size bound stopped the search'),
  timedOut: z.boolean().optional(),
  filesScanned: z.number().optional(),
  bytesScanned: z.number().optional(),
  binarySkipped: z.number().optional().describe('binary files left out'),
  error: errorShape.optional(),
});

export function registerGrep(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'grep',
    {
      title: 'Search file contents',
      description: `Search the text files of a session for lines containing \`pattern\` (a plain string; with \`regex: true\` a JavaScript regular expression without backreferences or lookarounds). Returns each match's path, line number and line (cut to ${MAX_MATCH_TEXT} characters). The search runs where the data is: the hub mirror by default, one node's copy with \`node\`, every member at once with "*". \`glob\` limits the files searched ("*.ts"), \`path\` the folder. Binary files are skipped. Bounded: at most \`maxResults\` matches (default ${DEFAULT_GREP_RESULTS}), ${MAX_GREP_DEADLINE_MS / 1000} s, and 16 MiB per file; \`truncated\` says when a bound was reached.`,
      inputSchema: {
        session: sessionArg,
        pattern: z.string().min(1).max(MAX_PATTERN_LENGTH).describe('Text to look for, or a regular expression with regex: true.'),
        path: z.string().max(4096).default('.').describe('Folder (or file) to search; "." (default) is the session root.'),
        glob: z.string().max(MAX_GLOB_LENGTH).optional().describe('Only files whose name (or path, with "/") matches this glob, e.g. "*.md".'),
        regex: z.boolean().optional().describe('Treat pattern as a regular expression. Default false.'),
        ignoreCase: z.boolean().optional().describe('Match regardless of case. Default false.'),
        node: nodeArg,
        maxResults: z.number().int().min(1).max(MAX_GREP_RESULTS).optional().describe(`Most matches per node (default ${DEFAULT_GREP_RESULTS}).`),
      },
      outputSchema: { session: z.string(), pattern: z.string(), results: z.array(resultShape) },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, pattern, path, glob, regex, ignoreCase, node, maxResults }) =>
      runTool('grep', log, async () => {
        const answers = await hub.search.grep(session, path, { pattern, glob, regex: regex ?? false, ignoreCase: ignoreCase ?? false, maxResults }, node);
        const results = answers.map((a) =>
          a.ok
            ? {
                node: a.node,
                ok: true,
                matches: a.value.matches.map((m) => ({ path: m.path, line: m.line, text: m.text })),
                truncated: a.value.truncated,
                timedOut: a.value.timedOut,
                filesScanned: a.value.filesScanned,
                bytesScanned: a.value.bytesScanned,
                binarySkipped: a.value.binarySkipped,
              }
            : { node: a.node, ok: false, error: a.error },
        );
        const text = results
          .map((r) => {
            if (!r.ok) return `[${r.node}] ${r.error!.code}: ${r.error!.message}`;
            const head = `[${r.node}] ${r.matches!.length} match${r.matches!.length === 1 ? '' : 'es'} in ${r.filesScanned} files (${humanBytes(r.bytesScanned!)})${r.truncated ? `; truncated${r.timedOut ? ' (time bound)' : ''}` : ''}`;
            return [head, ...r.matches!.map((m) => `${m.path}:${m.line}: ${m.text}`)].join('\n');
          })
          .join('\n\n');
        return { structured: { session, pattern, results }, text };
      }),
  );
}
