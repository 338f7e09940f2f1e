// The transport an HTTP session's McpServer talks through: the SDK's
// Streamable HTTP transport, plus requests answered with a plain JSON body
// (http-plain-calls.ts says which). Those skip the SDK's Node-to-Fetch
// adapter, its SSE stream and the event store; the McpServer sees the same
// messages either way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type JSONRPCRequest, type MessageExtraInfo, type RequestId } from '@modelcontextprotocol/sdk/types.js';

/** A plain request waiting for its answer; called once, with the answer or the reason there is none. */
type Waiter = (outcome: { answer: JSONRPCMessage } | { status: 202 } | { closed: true }) => void;

function isAnswer(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && ('result' in message || 'error' in message);
}

/**
 * Guarded by the event loop. `waiting` holds the plain requests whose
 * answer is not written yet, by JSON-RPC id; an entry leaves when its answer
 * is written, when the client cancels the request or hangs up, or when the
 * session closes.
 */
export class SessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private readonly waiting = new Map<RequestId, Waiter>();

  constructor(readonly sdk: StreamableHTTPServerTransport) {}

  get sessionId(): string | undefined {
    return this.sdk.sessionId;
  }

  async start(): Promise<void> {
    this.sdk.onmessage = (message, extra) => {
      this.noteCancel(message);
      this.onmessage?.(message, extra);
    };
    this.sdk.onerror = (error) => this.onerror?.(error);
    this.sdk.onclose = () => {
      for (const waiter of this.waiting.values()) waiter({ closed: true });
      this.waiting.clear();
      this.onclose?.();
    };
    await this.sdk.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const id = isAnswer(message) ? message.id : options?.relatedRequestId;
    const waiter = id === undefined ? undefined : this.waiting.get(id);
    if (!waiter) return this.sdk.send(message, options);
    if (isAnswer(message)) {
      this.waiting.delete(message.id);
      return waiter({ answer: message });
    }
    // A call answered as plain JSON has no stream of its own: what it tells
    // the client on the way (a log line) goes on the session's standing
    // stream, kept in the event store like any other event there.
    return this.sdk.send(message, { ...options, relatedRequestId: undefined });
  }

  close(): Promise<void> {
    return this.sdk.close();
  }

  /** True when a plain answer could be matched to `id` now (no other request of this session waits under it). */
  canAnswerPlainly(id: RequestId): boolean {
    return !this.waiting.has(id);
  }

  /**
   * Hand `request` to the McpServer and write its answer as one JSON body
   * (the session id in `mcp-session-id`, as the SDK does). Resolves once
   * the answer is written or the client went away.
   */
  answerPlainly(req: IncomingMessage, res: ServerResponse, request: JSONRPCRequest): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = (outcome) => {
        resolve();
        if (res.destroyed || res.writableEnded) return;
        if ('status' in outcome) return void res.writeHead(outcome.status).end();
        const answer = 'answer' in outcome ? outcome.answer : { jsonrpc: '2.0', id: request.id, error: { code: ErrorCode.ConnectionClosed, message: 'Session closed' } };
        const body = JSON.stringify(answer);
        // With its length the body goes out whole, not as a chunked stream the client has to unframe.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}) });
        res.end(body);
      };
      this.waiting.set(request.id, waiter);
      // A client that hung up gets nothing; a late answer then finds no waiter and goes to the SDK, which drops it.
      res.once('close', () => {
        if (this.waiting.get(request.id) === waiter) this.waiting.delete(request.id);
        resolve();
      });
      const extra: MessageExtraInfo = { requestInfo: { headers: req.headers, url: new URL(req.url ?? '/', 'http://localhost') } };
      this.onmessage?.(request, extra);
    });
  }

  /**
   * A cancelled request gets no answer from the McpServer; its plain POST
   * is ended with 202 (accepted, nothing to say) instead of staying open
   * until the session closes.
   */
  private noteCancel(message: JSONRPCMessage): void {
    if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) return;
    const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
    const waiter = id === undefined ? undefined : this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id!);
    waiter({ status: 202 });
  }
}
