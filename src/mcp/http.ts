// MCP over Streamable HTTP at /mcp, for running the hub as a sidecar: the
// listener, its time limits, and shutdown. What each request goes through
// is in http-endpoint.ts; the limits themselves are in http-limits.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeshError } from '../errors.js';
import { addressInUse } from '../mesh/hub/address-in-use.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { HttpEndpoint, MCP_PATH } from './http-endpoint.js';
import { allowedHostsFor, authModeRefusal, normalizeHostname } from './http-guard.js';
import { resolveHttpLimits, type HttpLimits } from './http-limits.js';
import { replyError } from './http-reply.js';
import { AdminRoutes } from '../ops/admin-routes.js';
import type { HubOps } from '../ops/hub-ops.js';

export { MCP_PATH };

export interface HttpOptions {
  /** HOST:PORT; port 0 picks a free port. */
  address: string;
  /**
   * True: every request needs `Authorization: Bearer <token>`, loopback
   * included. False (`--no-http-auth`): no token, allowed on loopback only.
   */
  auth: boolean;
  /** The bearer token, resolved by the caller (MESH_HTTP_TOKEN or <data>/http-token); required when `auth`. */
  token?: string;
  /** Extra Host names to serve (e.g. a DNS name behind a proxy); `name` or `name:port`. */
  allowedHosts?: string[];
  /** Overrides of the limits in http-limits.ts (tests, MESH_HTTP_* variables). */
  limits?: Partial<HttpLimits>;
  /** Serve the operators' endpoints (/healthz, /readyz, /metrics, /) beside /mcp. */
  ops?: HubOps;
}

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * How often Node.js looks for connections past the headers or request
 * timeout, ms: a quarter of the shorter one, so a slow client is cut within
 * about 1.25 times the limit (Node's default is every 30 s).
 */
function connectionsCheckingIntervalMs(limits: HttpLimits): number {
  return Math.max(50, Math.min(5_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

function createListener(endpoint: HttpEndpoint, limits: HttpLimits, log: Logger, admin?: AdminRoutes): Server {
  // Security: slow clients holding connections (slowloris, trickled bodies).
  // Headers and whole requests have deadlines; Node.js stops the request
  // timer once the request is received, so long SSE responses are not cut.
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
    },
    (req, res) => {
      const handled = admin?.handles(req) ? admin.handle(req, res) : endpoint.handle(req, res);
      handled.catch((err: unknown) => {
        // A client that went away (or timed out) mid-body is no server error.
        if (req.destroyed || res.destroyed) return void log.debug({ err: String(err) }, 'HTTP request ended by the client');
        log.error({ err: err instanceof Error ? err.stack : String(err) }, 'HTTP request failed');
        replyError(req, res, { status: 500, code: 'INTERNAL', message: 'Internal server error' });
      });
    },
  );
  // Security: file descriptor exhaustion by a flood of idle connections.
  server.maxConnections = limits.maxConnections;
  return server;
}

export async function serveHttp(hub: Hub, options: HttpOptions, log: Logger): Promise<HttpServer> {
  const { host, port } = splitHostPort(options.address);
  const token = options.auth ? options.token : undefined;
  const refused = authModeRefusal(host, options.auth, token);
  if (refused) throw new MeshError('INVALID_ARGUMENT', `refusing to serve MCP over HTTP on ${options.address}: ${refused}`, { address: options.address });
  const limits = resolveHttpLimits(options.limits);
  let allowed: string[] = [];
  const endpoint = new HttpEndpoint({ hub, log, limits, token, allowedHosts: () => allowed });
  const admin = options.ops && new AdminRoutes({ ops: options.ops, token, allowedHosts: () => allowed, log });
  const server = createListener(endpoint, limits, log, admin);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await endpoint.close();
    throw addressInUse(err, options.address, '--http (MESH_HTTP)') ?? err;
  }
  const actualPort = (server.address() as AddressInfo).port;
  allowed = allowedHostsFor(host, actualPort, options.allowedHosts);
  const url = `http://${normalizeHostname(host)}:${actualPort}${MCP_PATH}`;
  if (!options.auth) log.warn({ url }, 'MCP over HTTP without a bearer token (--no-http-auth): every local user can call every tool');
  log.info({ url, auth: options.auth, limits }, 'MCP serving on Streamable HTTP');

  return {
    url,
    async close() {
      await endpoint.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
