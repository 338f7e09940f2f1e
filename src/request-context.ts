// Which tool call the running code serves, across awaits: the id is set once
// where a call comes in (src/ops/tool-calls.ts) and every log line written
// while serving it carries it (src/log.ts), with no logger passed around. The
// hub sends it with every request the call causes to a node, whose log lines
// for that work carry it too.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<{ requestId: string } | undefined>();

/** What a request id may look like: the hub makes 16 hex digits; anything outside this is not logged. */
const REQUEST_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Run `fn` as part of the tool call `requestId`, or of none when it is
 * undefined: work queued by one call and run from another's callbacks (a
 * delivery lane) must say whose it is, not inherit whoever ran before it.
 */
export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return current.run(requestId ? { requestId } : undefined, fn);
}

/** The id of the tool call being served, if any. */
export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}

/** A request id received from a peer, if it is one; anything else (too long, odd characters) counts as none. */
export function receivedRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID_RE.test(value) ? value : undefined;
}
