// Every limit of the Streamable HTTP endpoint in one place: time, bytes,
// connections and sessions. A few can be lowered or raised from the
// environment (MESH_HTTP_*), mostly so that tests can run them in seconds.
import { MeshError } from '../errors.js';

const MiB = 1024 * 1024;

/**
 * Largest request body, bytes: a 16 MiB `write` as base64 (21.3 MiB) plus
 * its envelope. A declared length over it is refused before anything is
 * read; a chunked body is cut when it passes it.
 */
export const MAX_HTTP_BODY_BYTES = 24 * MiB;

/**
 * Request body bytes in flight across every request, bytes: one body of the
 * largest size plus room for ordinary calls beside it. A request reserves
 * its Content-Length (the per-request maximum when it sends none) until its
 * response ends; past the budget it is answered 503 before anything is read.
 * A body that is read costs V8 about three times its size while it is
 * parsed (bytes, text, parsed strings) and `write` decodes it once more, so
 * bodies cost the hub about four times this, however many clients send them,
 * plus what V8 has not collected yet (measured: thirty 8 MiB writes at once,
 * +74 to +88 MiB RSS on an idle machine, up to +136 MiB beside two busy cores).
 */
export const HTTP_BODY_BUDGET_BYTES = 32 * MiB;

/** Time for a client to send a request's headers, ms (slow-headers attacks). */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;

/**
 * Time for a client to send a whole request, headers and body, ms (slow-body
 * attacks). Node.js stops counting once the request is received, so a long
 * `push` streaming its progress in the response is not cut by it.
 */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;

/** An idle keep-alive connection is closed after this, ms. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Open TCP connections to the HTTP listener; more are closed on accept. */
export const MAX_HTTP_CONNECTIONS = 1_024;

/**
 * Open MCP HTTP sessions. Past this, `initialize` is answered 503: no
 * session is ever closed to make room, so a flood of `initialize` cannot
 * evict a client that is using its session.
 */
export const MAX_HTTP_SESSIONS = 256;

/** A session with no request for this long (and none running) is closed, ms. */
export const HTTP_SESSION_IDLE_MS = 30 * 60_000;

/** A session that never sent a request after `initialize` is closed after this, ms. */
export const HTTP_SESSION_INIT_IDLE_MS = 60_000;

/**
 * The rest of a refused request's body is read and thrown away when it is
 * at most this big, bytes (the connection stays usable); a larger one is
 * never read.
 */
export const HTTP_REFUSED_BODY_DRAIN_BYTES = 1 * MiB;

/**
 * How long a connection stays open after a request was refused before its
 * body was read, ms: long enough for the client to read the refusal, then
 * it is closed (the rest of the body is never read).
 */
export const HTTP_REFUSED_BODY_LINGER_MS = 5_000;

/** Retry-After for a request refused because the body budget is spent, seconds. */
export const HTTP_BODY_RETRY_AFTER_S = 1;

/**
 * SSE events kept for resumption (Last-Event-ID) per MCP session, bytes of
 * their JSON: a dropped stream's progress and result are replayed from
 * here. Past it, the session's oldest events go first.
 */
export const SSE_EVENTS_SESSION_BYTES = 2 * MiB;

/** SSE events kept across every session, bytes: the store's whole memory, whatever the number of sessions. */
export const SSE_EVENTS_TOTAL_BYTES = 32 * MiB;

/** A kept SSE event expires after this, ms: a client that has not resumed by then will not. */
export const SSE_EVENT_TTL_MS = 5 * 60_000;

/** The `retry` sent to clients with each stream's first event, ms: how soon to reconnect a dropped stream. */
export const SSE_RETRY_MS = 1_000;

export interface HttpLimits {
  maxBodyBytes: number;
  bodyBudgetBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxSessions: number;
  sessionIdleMs: number;
  sessionInitIdleMs: number;
  sseEventsSessionBytes: number;
  sseEventsTotalBytes: number;
  sseEventTtlMs: number;
  sseRetryMs: number;
}

export const HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxBodyBytes: MAX_HTTP_BODY_BYTES,
  bodyBudgetBytes: HTTP_BODY_BUDGET_BYTES,
  headersTimeoutMs: HTTP_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: HTTP_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  maxConnections: MAX_HTTP_CONNECTIONS,
  maxSessions: MAX_HTTP_SESSIONS,
  sessionIdleMs: HTTP_SESSION_IDLE_MS,
  sessionInitIdleMs: HTTP_SESSION_INIT_IDLE_MS,
  sseEventsSessionBytes: SSE_EVENTS_SESSION_BYTES,
  sseEventsTotalBytes: SSE_EVENTS_TOTAL_BYTES,
  sseEventTtlMs: SSE_EVENT_TTL_MS,
  sseRetryMs: SSE_RETRY_MS,
});

/** The limits that the environment may override, and the variable for each. */
export const HTTP_LIMIT_ENV = {
  requestTimeoutMs: 'MESH_HTTP_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'MESH_HTTP_HEADERS_TIMEOUT_MS',
  sessionIdleMs: 'MESH_HTTP_SESSION_IDLE_MS',
  sessionInitIdleMs: 'MESH_HTTP_SESSION_INIT_IDLE_MS',
  maxSessions: 'MESH_HTTP_MAX_SESSIONS',
} as const satisfies Partial<Record<keyof HttpLimits, string>>;

/** Overrides set in the environment; a value that is not a positive integer is refused. */
export function httpLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<HttpLimits> {
  const out: Partial<HttpLimits> = {};
  for (const [key, name] of Object.entries(HTTP_LIMIT_ENV) as Array<[keyof HttpLimits, string]>) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new MeshError('INVALID_ARGUMENT', `${name} must be a positive integer (got "${raw}")`, { field: name });
    out[key] = value;
  }
  return out;
}

/**
 * Defaults completed by `overrides`; a headers timeout longer than the
 * request timeout is shortened to it (Node.js refuses the pair otherwise).
 */
export function resolveHttpLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...HTTP_LIMITS, ...overrides };
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  if (limits.maxBodyBytes > limits.bodyBudgetBytes) {
    throw new MeshError('INVALID_ARGUMENT', `the HTTP body budget (${limits.bodyBudgetBytes} bytes) must hold one body of the largest size (${limits.maxBodyBytes} bytes)`);
  }
  return limits;
}
