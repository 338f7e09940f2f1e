// Error answers of the HTTP endpoint: a JSON-RPC error object whose `data`
// carries the project's stable error code (and, for limits, which limit).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';

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
  const headers: Record<string, string> = { 'content-type': 'application/json', ...reply.headers };
  // A refused request whose body was not read: close the connection rather
  // than read (and throw away) up to the whole body to keep it alive.
  if (!req.complete) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: reply.rpcCode ?? -32000, message: reply.message, data: { code: reply.code, ...reply.data } }, id: null }));
}
