// `status`: the mesh at a glance: sessions and their members, who is online,
// running transfers with per-node bytes, recent drift.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runTool } from '../mcp/tool-result.js';
import { humanBytes, type ToolContext } from './tool-shapes.js';

const outputSchema = {
  hubId: z.string(),
  grpc: z.string().describe('address node agents attach to'),
  store: z.string(),
  sessions: z.array(z.object({ name: z.string(), members: z.array(z.object({ node: z.string(), online: z.boolean() })) })),
  online: z.array(z.string()).describe('attached nodes'),
  sourceRoots: z.array(z.string()).describe('folders on the hub machine that `push` may read from'),
  transfers: z.array(
    z.object({
      transferId: z.string(),
      kind: z.enum(['write', 'push', 'repair']),
      session: z.string(),
      path: z.string(),
      size: z.number(),
      stagedChunks: z.number().describe('chunks staged on the hub so far; nodes fetch each one as soon as it is staged'),
      chunks: z.number(),
      nodes: z.array(z.object({ node: z.string(), state: z.enum(['pending', 'done', 'failed']), bytes: z.number(), sentBytes: z.number() })),
    }),
  ),
  drift: z.array(
    z.object({
      at: z.number().describe('ms since the epoch'),
      node: z.string(),
      session: z.string(),
      path: z.string(),
      kind: z.enum(['missing', 'changed', 'extra']),
      action: z.enum(['repairing', 'reported']),
    }),
  ),
  staging: z.object({ chunksStaged: z.number(), bytesStaged: z.number(), hashMs: z.number() }),
  eventLoopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional().describe('hub responsiveness since start, ms'),
};

export function registerStatus(server: McpServer, { hub, log }: ToolContext): void {
  server.registerTool(
    'status',
    {
      title: 'Mesh status',
      description:
        'Show the mesh: every session with its member nodes and whether each is online, the folders `push` may read from (source roots), the running transfers with bytes delivered per node, and recent drift (a node copy that differed from the mirror). Call this first to learn the session and node names the other tools take.',
      outputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    () =>
      runTool('status', log, async () => {
        const s = hub.status();
        const sessions = s.sessions.map((x) => `${x.name}: ${x.members.map((m) => `${m.node}${m.online ? '' : ' (offline)'}`).join(', ') || 'no members'}`);
        const transfers = s.transfers.map((t) => `${t.kind} ${t.transferId} ${t.session}:${t.path} ${humanBytes(t.size)} (staged ${t.stagedChunks}/${t.chunks} chunks) -> ${t.nodes.map((n) => `${n.node} ${n.state} ${humanBytes(n.bytes)}`).join(', ')}`);
        const text = [
          `Hub ${s.hubId}, nodes attach at ${s.grpc}. Online: ${s.online.join(', ') || 'none'}.`,
          `Sessions (${s.sessions.length}):${sessions.map((l) => `\n  ${l}`).join('')}`,
          `Push sources (source roots): ${s.sourceRoots.join(', ') || 'none (start the hub with --source-root DIR)'}`,
          `Running transfers: ${transfers.length ? transfers.map((l) => `\n  ${l}`).join('') : 'none'}`,
          `Drift events: ${s.drift.length}`,
        ].join('\n');
        // Field by field: clients check structured content against the schema, extra fields included.
        const structured = {
          hubId: s.hubId,
          grpc: s.grpc,
          store: s.store,
          sessions: s.sessions.map((x) => ({ name: x.name, members: x.members.map((m) => ({ node: m.node, online: m.online })) })),
          online: [...s.online],
          sourceRoots: [...s.sourceRoots],
          transfers: s.transfers.map((t) => ({
            transferId: t.transferId,
            kind: t.kind,
            session: t.session,
            path: t.path,
            size: t.size,
            stagedChunks: t.stagedChunks,
            chunks: t.chunks,
            nodes: t.nodes.map((n) => ({ node: n.node, state: n.state, bytes: n.bytes, sentBytes: n.sentBytes })),
          })),
          drift: s.drift.map((d) => ({ at: d.at, node: d.node, session: d.session, path: d.path, kind: d.kind, action: d.action })),
          staging: { chunksStaged: s.staging.chunksStaged, bytesStaged: s.staging.bytesStaged, hashMs: s.staging.hashMs },
          ...(s.eventLoopDelayMs ? { eventLoopDelayMs: { p50: s.eventLoopDelayMs.p50, p99: s.eventLoopDelayMs.p99, max: s.eventLoopDelayMs.max } } : {}),
        };
        return { structured, text };
      }),
  );
}
