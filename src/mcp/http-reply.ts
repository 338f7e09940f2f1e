// Error answers of the HTTP endpoint: a JSON-RPC error object whose `data`
// carries the project's stable error code (and, for limits, which limit).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';
import { HTTP_REFUSED_BODY_DRAIN_BYTES, HTTP_REFUSED_BODY_LINGER_MS } from './http-limits.js';

export interface ErrorReply {
  status: number;
  message: string;
  code: ErrorCode;
  /** JSON-RPC error code; -32000 (server error) unless told. */
  rpcCode?: number;
  headers?: Record<string, string>;
  /** More machine-readable detail, e.g. `{ limit: 'maxSessions', max: 256 }`. */
  data?: Record<string, unknown>;
}

export function replyError(req: IncomingMessage, res: ServerResponse, reply: ErrorReply): void {
  if (res.headersSent || res.destroyed) return void res.end();
  if (!req.complete) leaveUnreadBody(req, res);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: reply.rpcCode ?? -32000, message: reply.message, data: { code: reply.code, ...reply.data } }, id: null }));
}

/**
 * A request answered before its whole body arrived. Closing at once (what
 * Node.js does when the client asked for `Connection: close`) resets the
 * connection under the unread rest, and the client may lose the answer; so
 * the connection stays open. A small rest is read and thrown away, which
 * keeps the connection usable. A large one is left unread (TCP holds the
 * client back): reading it would cost CPU and garbage an attacker chooses;
 * the connection is closed HTTP_REFUSED_BODY_LINGER_MS after the answer.
 */
function leaveUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  const length = req.headers['content-length'];
  const hasBody = length !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return;
  res.shouldKeepAlive = true;
  if (length !== undefined && Number(length) <= HTTP_REFUSED_BODY_DRAIN_BYTES) return; // Node.js reads and drops it
  // read(0) marks the body as being consumed, which keeps Node.js from
  // reading the rest; paused, at most one buffer of it is read.
  req.pause();
  req.read(0);
  const socket = req.socket;
  res.once('finish', () => {
    const timer = setTimeout(() => {
      if (!req.complete) socket.destroy();
    }, HTTP_REFUSED_BODY_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
