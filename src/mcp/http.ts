// MCP over Streamable HTTP at /mcp, for running the hub as a sidecar. One
// McpServer per HTTP session; requests are checked (Host, Origin, bearer
// token) before they reach any session.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { MeshError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { isLoopbackHost, splitHostPort } from '../mesh/protocol/address.js';
import { allowedHostsFor, checkBearer, checkHost, checkOrigin, normalizeHostname } from './http-guard.js';
import { createMcpServer } from './server.js';

export interface HttpOptions {
  /** HOST:PORT; port 0 picks a free port. */
  address: string;
  /** When set, every request needs `Authorization: Bearer <token>`. Required beyond loopback. */
  token?: string;
  /** Extra Host names to serve (e.g. a DNS name behind a proxy); `name` or `name:port`. */
  allowedHosts?: string[];
}

export const MCP_PATH = '/mcp';
/** Open HTTP sessions kept; past this, the least recently used is closed. */
export const MAX_HTTP_SESSIONS = 256;
/** Largest request body, bytes: a 16 MiB `write` in base64 plus its envelope. */
export const MAX_HTTP_BODY_BYTES = 32 * 1024 * 1024;

interface HttpSession {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
}

function sendJsonError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function serveHttp(hub: Hub, options: HttpOptions, log: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port } = splitHostPort(options.address);
  if (!isLoopbackHost(host) && !options.token) {
    throw new MeshError(
      'INVALID_ARGUMENT',
      `refusing to serve MCP over HTTP on ${options.address} without a token: set MESH_HTTP_TOKEN, or listen on 127.0.0.1`,
      { address: options.address },
    );
  }
  // Guarded by the event loop: touched only from request handlers and close().
  const sessions = new Map<string, HttpSession>();
  let allowed: string[] = [];

  const closeSession = async (id: string): Promise<void> => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.server.close().catch((err: unknown) => log.debug({ err: String(err) }, 'closing an MCP session failed'));
  };

  const evictIfFull = async (): Promise<void> => {
    if (sessions.size < MAX_HTTP_SESSIONS) return;
    const [oldest] = [...sessions.entries()].sort((a, b) => a[1].lastSeen - b[1].lastSeen);
    if (oldest) {
      log.warn({ session: oldest[0] }, 'too many MCP HTTP sessions; closing the least recently used');
      await closeSession(oldest[0]);
    }
  };

  const openSession = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await evictIfFull();
    const server = createMcpServer(hub, log);
    let sessionId: string | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: MAX_HTTP_BODY_BYTES,
      onsessioninitialized: (id) => {
        sessionId = id;
        sessions.set(id, { server, transport, lastSeen: Date.now() });
        log.info({ mcpSession: id }, 'MCP HTTP session opened');
      },
      onsessionclosed: (id) => void closeSession(id),
    });
    transport.onclose = () => {
      if (sessionId) sessions.delete(sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
    // Anything but a successful initialize leaves no session behind.
    if (!sessionId) await server.close();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return sendJsonError(res, 404, `not found; MCP is served at ${MCP_PATH}`);
    const refused = checkHost(req.headers.host, allowed) ?? checkOrigin(req.headers.origin, allowed);
    if (refused) {
      log.warn({ host: req.headers.host, origin: req.headers.origin, reason: refused }, 'HTTP request refused');
      return sendJsonError(res, 403, `Forbidden: ${refused}`);
    }
    if (!checkBearer(req.headers.authorization, options.token)) {
      log.warn({ remote: req.socket.remoteAddress }, 'HTTP request without a valid bearer token');
      return sendJsonError(res, 401, 'Unauthorized: send "Authorization: Bearer <token>" (MESH_HTTP_TOKEN)', { 'www-authenticate': 'Bearer realm="mesh-assistant"' });
    }
    const header = req.headers['mcp-session-id'];
    const id = Array.isArray(header) ? header[0] : header;
    if (id) {
      const session = sessions.get(id);
      if (!session) return sendJsonError(res, 404, 'Session not found; initialize a new one');
      session.lastSeen = Date.now();
      return session.transport.handleRequest(req, res);
    }
    if (req.method === 'POST') return openSession(req, res);
    return sendJsonError(res, 400, 'Bad Request: missing Mcp-Session-Id header');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.stack : String(err) }, 'HTTP request failed');
      sendJsonError(res, 500, 'Internal server error');
    });
  });
  // Long pushes stream progress for minutes; liveness is TCP's business here.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  allowed = allowedHostsFor(host, actualPort, options.allowedHosts);
  const url = `http://${normalizeHostname(host)}:${actualPort}${MCP_PATH}`;
  log.info({ url, auth: Boolean(options.token) }, 'MCP serving on Streamable HTTP');

  return {
    url,
    async close() {
      await Promise.all([...sessions.keys()].map((id) => closeSession(id)));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
