// What happens to one request at /mcp, step by step: who may call (Host,
// Origin, bearer token), which session it belongs to, its body read within
// the byte budget, then the session's SDK transport. One McpServer per
// session; `initialize` opens one only while the session cap allows.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { BodyBudget, planBody, readJsonBody } from './http-body.js';
import { EventBytes, SessionEventStore } from './http-event-store.js';
import { alignProtocolVersion, negotiatedVersion } from './http-protocol-version.js';
import { checkBearer, checkHost, checkOrigin } from './http-guard.js';
import { HTTP_BODY_RETRY_AFTER_S, type HttpLimits } from './http-limits.js';
import { replyError } from './http-reply.js';
import { plainRequestOf, readOnlyToolsOf } from './http-plain-calls.js';
import { SessionTransport } from './http-session-transport.js';
import { HttpSessions, type SessionSlot } from './http-sessions.js';
import { createMcpServer } from './server.js';
import { connectDispatchingDirectly } from './fast-dispatch.js';

export const MCP_PATH = '/mcp';

export interface McpSession {
  server: McpServer;
  transport: SessionTransport;
  /** The protocol version agreed at initialize. */
  protocolVersion: string;
  close(): Promise<void>;
}

export interface EndpointOptions {
  hub: Hub;
  log: Logger;
  limits: HttpLimits;
  /** Undefined: no bearer token asked (`--no-http-auth`, loopback only). */
  token: string | undefined;
  /** Allowed Host values; known once the server listens. */
  allowedHosts(): string[];
}

/** The parsed body, or `undefined` for a request without one (GET, DELETE). */
type Body = { value: unknown } | undefined;

const sessionNotFound = (req: IncomingMessage, res: ServerResponse) =>
  replyError(req, res, { status: 404, code: 'NOT_FOUND', rpcCode: -32001, message: 'Session not found; initialize a new one' });

/** Log a repeated warning at most once per period, with how many were not logged. */
function throttledWarn(log: Logger, periodMs: number): (fields: Record<string, unknown>, msg: string) => void {
  let last = 0;
  let skipped = 0;
  return (fields, msg) => {
    const now = Date.now();
    if (now - last < periodMs) return void skipped++;
    log.warn({ ...fields, alsoRefusedSinceLastWarning: skipped }, msg);
    last = now;
    skipped = 0;
  };
}

export class HttpEndpoint {
  readonly sessions: HttpSessions<McpSession>;
  readonly budget: BodyBudget;
  /** Bytes of SSE events kept for resumption, across every session. */
  readonly eventBytes: EventBytes;
  private readonly warnBusy: ReturnType<typeof throttledWarn>;
  private readonly warnUnauthorized: ReturnType<typeof throttledWarn>;

  constructor(private readonly options: EndpointOptions) {
    this.sessions = new HttpSessions<McpSession>(options.limits, options.log);
    this.budget = new BodyBudget(options.limits.bodyBudgetBytes);
    this.eventBytes = new EventBytes(options.limits.sseEventsTotalBytes);
    this.warnBusy = throttledWarn(options.log, 10_000);
    this.warnUnauthorized = throttledWarn(options.log, 1_000);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return replyError(req, res, { status: 404, code: 'NOT_FOUND', message: `not found; MCP is served at ${MCP_PATH}` });
    if (!this.admit(req, res)) return;
    const header = req.headers['mcp-session-id'];
    const id = Array.isArray(header) ? header[0] : header;
    if (id) return this.toSession(id, req, res);
    if (req.method !== 'POST') return replyError(req, res, { status: 400, code: 'INVALID_ARGUMENT', message: 'Bad Request: missing Mcp-Session-Id header' });
    return this.initialize(req, res);
  }

  /** Host, Origin and bearer token; false when the request was refused. */
  private admit(req: IncomingMessage, res: ServerResponse): boolean {
    const allowed = this.options.allowedHosts();
    const refused = checkHost(req.headers.host, allowed) ?? checkOrigin(req.headers.origin, allowed);
    if (refused) {
      this.options.log.warn({ host: req.headers.host, origin: req.headers.origin, reason: refused }, 'HTTP request refused');
      replyError(req, res, { status: 403, code: 'INVALID_ARGUMENT', message: `Forbidden: ${refused}` });
      return false;
    }
    // Security: every local user driving every tool. The token is asked on
    // loopback too, before any session is looked up or any body is read.
    if (this.options.token !== undefined && !checkBearer(req.headers.authorization, this.options.token)) {
      this.warnUnauthorized({ remote: req.socket.remoteAddress }, 'HTTP request without a valid bearer token');
      replyError(req, res, {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'Unauthorized: send "Authorization: Bearer <token>" (the token is in <data>/http-token, or MESH_HTTP_TOKEN)',
        headers: { 'www-authenticate': 'Bearer realm="mesh-assistant"' },
      });
      return false;
    }
    return true;
  }

  private async toSession(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return sessionNotFound(req, res);
    const body = req.method === 'POST' ? await this.readBody(req, res) : undefined;
    if (req.method === 'POST' && !body) return;
    // The session may have closed while its body was read.
    if (!this.sessions.get(id)) return sessionNotFound(req, res);
    res.once('close', this.sessions.begin(id));
    // A request that finishes at once and sends nothing on the way gets a plain JSON answer (http-plain-calls.ts).
    const plain = body && plainRequestOf(req, body.value, readOnlyToolsOf(session.server));
    if (plain && session.transport.canAnswerPlainly(plain.id)) return session.transport.answerPlainly(req, res, plain);
    alignProtocolVersion(req, session.protocolVersion);
    return session.transport.sdk.handleRequest(req, res, body?.value);
  }

  private async initialize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Checked before the body is read, and again (by reserving) after.
    if (this.sessions.full) return this.refuseSession(req, res);
    const body = await this.readBody(req, res);
    if (!body) return;
    const messages = Array.isArray(body.value) ? body.value : [body.value];
    if (!messages.some((m) => isInitializeRequest(m))) {
      return replyError(req, res, { status: 400, code: 'INVALID_ARGUMENT', message: 'Bad Request: missing Mcp-Session-Id header; send initialize first' });
    }
    const slot = this.sessions.reserveSlot();
    if (!slot) return this.refuseSession(req, res);
    try {
      await this.openSession(req, res, body, slot);
    } finally {
      slot.release();
    }
  }

  // Security: session flood. At the cap a new `initialize` is refused; no
  // session in use is closed to make room, and idle ones expire by themselves.
  private refuseSession(req: IncomingMessage, res: ServerResponse): void {
    const { maxSessions, sessionInitIdleMs } = this.options.limits;
    this.warnBusy({ limit: 'maxSessions', max: maxSessions }, 'MCP HTTP sessions at their limit; initialize refused');
    replyError(req, res, {
      status: 503,
      code: 'BUSY',
      message: `Service Unavailable: ${maxSessions} MCP HTTP sessions are open, the limit (MESH_HTTP_MAX_SESSIONS); idle sessions expire, try again later`,
      headers: { 'retry-after': String(Math.ceil(sessionInitIdleMs / 1000)) },
      data: { limit: 'maxSessions', max: maxSessions },
    });
  }

  private async openSession(req: IncomingMessage, res: ServerResponse, body: Body, slot: SessionSlot<McpSession>): Promise<void> {
    const { hub, log, limits } = this.options;
    const server = createMcpServer(hub, log);
    const messages = Array.isArray(body?.value) ? body.value : [body?.value];
    const protocolVersion = negotiatedVersion((messages.find((m) => isInitializeRequest(m)) as { params?: { protocolVersion?: unknown } } | undefined)?.params?.protocolVersion);
    let opened: string | undefined;
    // Streams resume after a drop: events get ids, clients a `retry`, and Last-Event-ID replays what was missed.
    const events = new SessionEventStore({ sessionBytes: limits.sseEventsSessionBytes, ttlMs: limits.sseEventTtlMs }, this.eventBytes);
    const sdkTransport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: limits.maxBodyBytes,
      eventStore: events,
      retryInterval: limits.sseRetryMs,
      onsessioninitialized: (id) => {
        opened = id;
        slot.fill(id, { server, transport, protocolVersion, close: () => server.close() });
        log.info({ mcpSession: id }, 'MCP HTTP session opened');
      },
      onsessionclosed: (id) => void this.sessions.close(id, 'ended by the client'),
    });
    const transport = new SessionTransport(sdkTransport);
    transport.onclose = () => {
      events.clear();
      if (opened) this.sessions.forget(opened);
    };
    try {
      await connectDispatchingDirectly(server.server, transport);
      await sdkTransport.handleRequest(req, res, body?.value);
    } finally {
      // Anything but a successful initialize leaves no session behind.
      if (!opened) await server.close();
    }
  }

  /**
   * Reserve the body's bytes in the budget until the response ends, then
   * read and parse it. Undefined when the request was answered instead.
   */
  private async readBody(req: IncomingMessage, res: ServerResponse): Promise<Body> {
    const { maxBodyBytes, bodyBudgetBytes } = this.options.limits;
    const plan = planBody(req.headers['content-length'], maxBodyBytes);
    // Security: memory exhaustion by large bodies. One body is at most
    // maxBodyBytes, all bodies in flight at most the budget; past it the
    // request is refused before a byte of its body is read.
    if (!plan.ok) return void this.refuseTooLarge(req, res);
    const release = this.budget.reserve(plan.reserve);
    if (!release) {
      this.warnBusy({ limit: 'bodyBudgetBytes', max: bodyBudgetBytes }, 'HTTP request bodies at their budget; request refused');
      return void replyError(req, res, {
        status: 503,
        code: 'BUSY',
        message: `Service Unavailable: request bodies in flight are at their limit (${bodyBudgetBytes} bytes); try again shortly`,
        headers: { 'retry-after': String(HTTP_BODY_RETRY_AFTER_S) },
        data: { limit: 'bodyBudgetBytes', max: bodyBudgetBytes },
      });
    }
    res.once('close', release);
    const read = await readJsonBody(req, plan.declared, maxBodyBytes);
    if (read.kind === 'too-large') return void this.refuseTooLarge(req, res);
    if (read.kind === 'invalid-json') return void replyError(req, res, { status: 400, code: 'INVALID_ARGUMENT', rpcCode: -32700, message: 'Parse error: Invalid JSON' });
    return { value: read.value };
  }

  private refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
    const max = this.options.limits.maxBodyBytes;
    replyError(req, res, { status: 413, code: 'TOO_LARGE', message: `Payload Too Large: a request body must not exceed ${max} bytes`, data: { limit: 'maxBodyBytes', max } });
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
  }
}
