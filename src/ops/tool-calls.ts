// Every tool call, whatever the tool, seen at one place: the tool handlers
// registered on an McpServer are wrapped so that each call is timed and
// reported (metrics, audit log) with its outcome. Tools stay unaware of it.
import { randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_META_KEY } from '../mcp/tool-result.js';
import { withRequestId } from '../request-context.js';
import { auditArguments, contentChars, type AuditValue } from './audit-args.js';
import { addToolLayer } from '../mcp/tool-wrapping.js';

export interface ToolCallRecord {
  /** When the call started, ISO 8601. */
  time: string;
  /** Random id of this call; every hub log line written while serving it carries it too. */
  requestId: string;
  /** Who called: the MCP client's name and its transport (`stdio`, or `http:<session id>`). */
  client: string;
  tool: string;
  /** Arguments without file contents (audit-args.ts). */
  arguments: AuditValue;
  /** `ok`, or the error code of a failed call. */
  outcome: string;
  /** Characters of file contents the call carried in. */
  bytesIn: number;
  /** Bytes of the answer's content blocks. */
  bytesOut: number;
  durationMs: number;
}

export interface ToolCallObserver {
  toolCall(record: ToolCallRecord): void;
}

type Extra = { sessionId?: string };

/** Bytes of a request id (16 hex digits). */
const REQUEST_ID_BYTES = 8;
/** Random bytes drawn at once for request ids: one randomBytes(8) per call was a synchronous trip into OpenSSL that showed in the hub's profile of a `cat`. */
const REQUEST_ID_POOL_BYTES = 4096;

/** Random request ids, 16 hex digits each, cut from a pool of random bytes refilled when used up. */
export class RequestIds {
  private pool = Buffer.alloc(0);
  private at = 0;

  next(): string {
    if (this.at + REQUEST_ID_BYTES > this.pool.length) {
      this.pool = randomBytes(REQUEST_ID_POOL_BYTES);
      this.at = 0;
    }
    const id = this.pool.toString('hex', this.at, this.at + REQUEST_ID_BYTES);
    this.at += REQUEST_ID_BYTES;
    return id;
  }
}
type Handler = (...params: unknown[]) => Promise<CallToolResult> | CallToolResult;

function outcomeOf(result: CallToolResult | undefined, thrown: boolean): string {
  if (thrown || !result) return 'INTERNAL';
  if (!result.isError) return 'ok';
  const meta = result._meta?.[ERROR_META_KEY] as { code?: unknown } | undefined;
  return typeof meta?.code === 'string' ? meta.code : 'ERROR';
}

function contentBytes(result: CallToolResult | undefined): number {
  let n = 0;
  for (const block of result?.content ?? []) {
    if (block.type === 'text') n += Buffer.byteLength(block.text);
    else if ('data' in block && typeof block.data === 'string') n += Math.floor((block.data.length * 3) / 4);
    else if (block.type === 'resource' && 'text' in block.resource) n += Buffer.byteLength(String(block.resource.text));
  }
  return n;
}

/**
 * From now on, tools registered on `server` report each call to `observer`.
 * Call before the tools are registered.
 */
export function observeToolCalls(server: McpServer, observer: ToolCallObserver | undefined): void {
  if (!observer) return;
  const clientLabel = (extra: Extra | undefined) => {
    const name = server.server.getClientVersion()?.name ?? 'unknown';
    return `${name.slice(0, 64)} (${extra?.sessionId ? `http:${extra.sessionId}` : 'stdio'})`;
  };
  const observed = async (name: string, config: { inputSchema?: unknown }, cb: Handler, params: unknown[], requestId: string) => {
    // The SDK passes (args, extra) to tools with an input schema, (extra) to those without.
    const args = config.inputSchema ? params[0] : {};
    const extra = params[params.length - 1] as Extra | undefined;
    const started = performance.now();
    const time = new Date().toISOString();
    let result: CallToolResult | undefined;
    let thrown = false;
    try {
      result = await cb(...params);
      return result;
    } catch (err) {
      thrown = true;
      throw err;
    } finally {
      observer.toolCall({
        time,
        requestId,
        client: clientLabel(extra),
        tool: name,
        arguments: auditArguments(args),
        outcome: outcomeOf(result, thrown),
        bytesIn: contentChars(args),
        bytesOut: contentBytes(result),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
    }
  };
  const ids = new RequestIds();
  addToolLayer(server, (name, config, cb) => ({
    config,
    cb: (...params: unknown[]) => {
      const requestId = ids.next();
      return withRequestId(requestId, () => observed(name, config, cb as Handler, params, requestId));
    },
  }));
}
