// Argument and result shapes shared by the tools, and the context every tool
// gets: the hub core (tools call nothing else) and a logger.
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import type { NodeOutcome } from '../mesh/hub/transfer-manager.js';
import { formatBytes } from '../byte-sizes.js';

export interface ToolContext {
  hub: Hub;
  log: Logger;
}

export const sessionArg = z.string().min(1).max(64).describe('Session name (a shared workspace), e.g. "demo". Call `status` to see the sessions.');

export const pathArg = z
  .string()
  .min(1)
  .max(4096)
  .describe('Path relative to the session root, "/" separated, e.g. "notes/todo.md". Absolute paths and ".." are refused.');

export const nodeArg = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe('Where to look: omit (or "hub") for the hub\'s authoritative mirror, a node id for that node\'s copy, "*" for every member at once.');

export const errorShape = z.object({ code: z.string(), message: z.string() });

export const outcomeShape = z.object({
  node: z.string(),
  status: z.enum(['ok', 'offline', 'failed', 'pending', 'cancelled']).describe('ok: stored and verified; offline: queued until the node attaches; pending: still running; failed: see error'),
  sha256: z.string().optional(),
  size: z.number().optional(),
  fetchedBytes: z.number().optional(),
  error: errorShape.optional(),
});

/** Outcomes as plain objects (the hub may hand out extra fields; structured content keeps to the schema). */
export function outcomesOut(outcomes: NodeOutcome[]): Array<z.infer<typeof outcomeShape>> {
  return outcomes.map((o) => ({
    node: o.node,
    status: o.status,
    ...(o.sha256 !== undefined ? { sha256: o.sha256 } : {}),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.fetchedBytes !== undefined ? { fetchedBytes: o.fetchedBytes } : {}),
    ...(o.error ? { error: { code: o.error.code, message: o.error.message } } : {}),
  }));
}

/** One line per node, e.g. "laptop-1: ok; pi: offline (queued until it attaches)". */
export function describeOutcomes(outcomes: NodeOutcome[]): string {
  if (outcomes.length === 0) return 'the session has no member nodes yet (only the hub mirror holds the file)';
  const note: Record<NodeOutcome['status'], string> = {
    ok: '',
    offline: ' (queued until it attaches)',
    pending: ' (still running; see `status`)',
    cancelled: '',
    failed: '',
  };
  return outcomes.map((o) => `${o.node}: ${o.status}${note[o.status]}${o.error ? ` (${o.error.code}: ${o.error.message})` : ''}`).join('; ');
}

/** Bytes as a short human size, e.g. "1.5 MiB". */
export function humanBytes(n: number): string {
  return formatBytes(n, 'prose');
}
