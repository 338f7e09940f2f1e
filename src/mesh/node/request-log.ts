// One log line per hub request a node serves: what it was, how it ended and
// how long it took. Called inside the request's context, so the line carries
// the id of the tool call that caused it (src/request-context.ts). Changes to
// the copy are logged at info, reads at debug (an `ls` per second would
// otherwise fill the log).
import type { MeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Request, RequestOp } from '../protocol/frames.js';

const CHANGES: ReadonlySet<RequestOp> = new Set(['deliver', 'remove', 'move', 'installSkill']);

/** The session and path a request names, cut short: they come from the hub and only ever go to the log. */
function target(request: Request): { session?: string; path?: string } {
  const payload = (request.op ? request[request.op] : undefined) as { session?: unknown; path?: unknown; from?: unknown; name?: unknown } | undefined;
  const text = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 200) : undefined);
  return { session: text(payload?.session), path: text(payload?.path ?? payload?.from ?? payload?.name) };
}

export function logServed(log: Logger, request: Request, startedMs: number, failure?: MeshError): void {
  const op = request.op ?? 'unknown';
  const fields = { op, ...target(request), outcome: failure?.code ?? 'ok', durationMs: Math.round(performance.now() - startedMs) };
  if (CHANGES.has(op as RequestOp)) log.info(fields, 'request served');
  else log.debug(fields, 'request served');
}
