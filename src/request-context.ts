// Which tool call the running code serves, across awaits: the id is set once
// where a call comes in (src/ops/tool-calls.ts) and every log line written
// while serving it carries it (src/log.ts), with no logger passed around.
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<{ requestId: string }>();

/** Run `fn` as part of the tool call `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return current.run({ requestId }, fn);
}

/** The id of the tool call being served, if any. */
export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}
