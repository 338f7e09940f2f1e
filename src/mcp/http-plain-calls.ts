// Which requests of an MCP HTTP session are answered with a plain JSON body
// instead of an SSE stream: those that finish at once and send nothing on
// the way. An SSE answer costs a stream, a priming event and an event-store
// entry per request, on the hub and in the client; for a `cat` of the
// mirror that was most of the call. Everything else keeps its stream, so
// progress, log notifications and resumption (Last-Event-ID) are unchanged.
import type { IncomingMessage } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { isJSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { MIRROR } from '../mesh/hub/hub-files.js';

/** Methods that never send a message of their own before their answer. */
const AT_ONCE_METHODS: ReadonlySet<string> = new Set([
  'ping',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'logging/setLevel',
  'completion/complete',
]);

/**
 * Whether `request` is answered at once and sends nothing before its answer.
 * Any method of AT_ONCE_METHODS, and `tools/call` of a read-only tool that
 * reads the hub's mirror (no `node`, or "hub"): a call that asks nodes
 * can wait on them and tell the client about it. A request that asks for
 * progress (a progress token) keeps its stream. Pure.
 */
export function answersAtOnce(request: JSONRPCRequest, readOnlyTools: ReadonlySet<string>): boolean {
  const params = request.params as { _meta?: { progressToken?: unknown }; name?: unknown; arguments?: { node?: unknown } } | undefined;
  if (params?._meta?.progressToken !== undefined) return false;
  if (AT_ONCE_METHODS.has(request.method)) return true;
  if (request.method !== 'tools/call' || typeof params?.name !== 'string' || !readOnlyTools.has(params.name)) return false;
  const node = params.arguments?.node;
  return node === undefined || node === MIRROR;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The request to answer as plain JSON, or undefined to leave the POST to the
 * SDK transport. Only a POST the SDK would serve too qualifies (its Accept,
 * Content-Type and protocol-version checks, one JSON-RPC request, not a
 * batch), so every refusal still comes from the SDK, worded as before.
 */
export function plainRequestOf(req: IncomingMessage, body: unknown, readOnlyTools: ReadonlySet<string>): JSONRPCRequest | undefined {
  if (req.method !== 'POST') return undefined;
  const accept = header(req, 'accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!isJsonContentType(header(req, 'content-type'))) return undefined;
  const version = header(req, 'mcp-protocol-version');
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  if (Array.isArray(body) || !isJSONRPCRequest(body) || body.method === 'initialize') return undefined;
  return answersAtOnce(body, readOnlyTools) ? body : undefined;
}

const readOnlyByServer = new WeakMap<McpServer, Set<string>>();

/**
 * From now on, remember which tools registered on `server` are read-only
 * (annotation readOnlyHint). Call before the tools are registered.
 */
export function trackReadOnlyTools(server: McpServer): void {
  const names = new Set<string>();
  readOnlyByServer.set(server, names);
  const register = server.registerTool.bind(server) as (name: string, config: { annotations?: { readOnlyHint?: boolean } }, cb: unknown) => unknown;
  (server as unknown as { registerTool: typeof register }).registerTool = (name, config, cb) => {
    if (config.annotations?.readOnlyHint === true) names.add(name);
    return register(name, config, cb);
  };
}

/** The read-only tools of `server` (empty unless trackReadOnlyTools was called on it). */
export function readOnlyToolsOf(server: McpServer): ReadonlySet<string> {
  return readOnlyByServer.get(server) ?? new Set();
}
