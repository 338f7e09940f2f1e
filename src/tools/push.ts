// `push`: send a (large) file from the hub's source roots to every member of
// a session, chunked and resumable, with progress and cancellation.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import type { PushProgress } from '../mesh/hub/hub.js';
import { progressReport } from './push-progress.js';
import { describeOutcomes, humanBytes, outcomeShape, outcomesOut, sessionArg, type ToolContext } from './tool-shapes.js';

export function registerPush(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'push',
    {
      title: 'Push a file to every node',
      description:
        "Copy a file from the hub machine's allowed source folders (listed by `status` as sourceRoots) into a session, on the mirror and on every member node. Made for large files (no size limit): the file is chunked, verified and resumed across disconnects. Reports progress in bytes of the file, with how many nodes are done, while it runs (when the client asks for it) and can be cancelled; a cancelled push leaves no partial file anywhere. Returns each node's outcome.",
      inputSchema: {
        session: sessionArg,
        source: z.string().min(1).max(4096).describe('File to send: a path relative to one of the hub\'s source roots (or an absolute path inside one).'),
        dest: z.string().min(1).max(4096).optional().describe('Destination relative to the session root (default: the source file name at the root).'),
      },
      outputSchema: {
        session: z.string(),
        path: z.string().describe('where the file landed, relative to the session root'),
        transferId: z.string(),
        sha256: z.string().describe('file hash, hex: SHA-256 over the SHA-256 of each 4 MiB block (README, File hash)'),
        size: z.number().describe('bytes'),
        chunks: z.number(),
        outcomes: z.array(outcomeShape),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    ({ session, source, dest }, extra) =>
      runTool('push', log, async () => {
        const progressToken = extra._meta?.progressToken;
        let last = -1;
        // Notifications leave one after another, and the result only after the last of them.
        let sent: Promise<void> = Promise.resolve();
        const notify = (p: PushProgress): Promise<void> => {
          const report = progressReport(p);
          // MCP requires progress to increase; a resumed node may report fewer bytes for a moment.
          if (progressToken !== undefined && report.progress > last) {
            last = report.progress;
            const params = { progressToken, progress: report.progress, total: report.total, message: report.message };
            sent = sent.then(() =>
              extra.sendNotification({ method: 'notifications/progress', params }).catch((err: unknown) => log.debug({ err: String(err) }, 'progress notification not sent')),
            );
          }
          return sent;
        };
        const onProgress = (p: PushProgress) => void notify(p);
        const r = await hub.push(session, source, dest, { signal: extra.signal, onProgress });
        // A last report, so that even a push shorter than one progress tick says where it ended; every
        // report is out before the result, so the client never sees one arrive after the call returned.
        const nodes = r.outcomes.map((o) => ({ node: o.node, bytes: o.status === 'ok' ? r.size : (o.fetchedBytes ?? 0), done: o.status === 'ok' }));
        await notify({ done: 0, total: r.size * r.outcomes.length, size: r.size, nodes });
        const structured = { session: r.session, path: r.path, transferId: r.transferId, sha256: r.sha256, size: r.size, chunks: r.chunks, outcomes: outcomesOut(r.outcomes) };
        const text = `Pushed ${humanBytes(r.size)} (${r.chunks} chunk${r.chunks === 1 ? '' : 's'}) to ${session}:${r.path} (sha256 ${r.sha256}). Nodes: ${describeOutcomes(r.outcomes)}.`;
        return { structured, text };
      }),
  );
}
