// The admin listener of a hub whose MCP runs on stdio (no HTTP listener to
// share): the routes of admin-routes.ts, loopback by default, and MCP at /mcp
// with the same bearer token, so that a `hub --stdio` started by another host
// on the same data folder can relay its client to this hub.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULTS } from '../config.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { HttpEndpoint, MCP_PATH } from '../mcp/http-endpoint.js';
import { allowedHostsFor, normalizeHostname } from '../mcp/http-guard.js';
import { resolveHttpLimits, type HttpLimits } from '../mcp/http-limits.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { AdminRoutes } from './admin-routes.js';
import type { HubOps } from './hub-ops.js';

/**
 * Default admin address when MCP runs on stdio: a free loopback port, published
 * in <data>/admin.json. Not a fixed port: two desktop hosts on one machine each
 * start their own stdio hub, and a fixed port would collide. Give --admin for a
 * port a Prometheus can scrape.
 */
export const DEFAULT_ADMIN_ADDRESS = DEFAULTS.admin;
/** Time limits of the admin listener, ms: probes and scrapes are small requests. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Connections at once: probes, one Prometheus, a few browsers. */
const MAX_CONNECTIONS = 64;

export interface AdminServer {
  /** Base URL, e.g. http://127.0.0.1:7422. */
  url: string;
  /** The MCP endpoint's URL (…/mcp) when MCP is served here. */
  mcpUrl?: string;
  close(): Promise<void>;
}

export interface AdminServerOptions {
  address: string;
  ops: HubOps;
  token: string | undefined;
  log: Logger;
  /** Serve MCP at /mcp for this hub, within these limits (http-limits.ts), with the same token. */
  mcp?: { hub: Hub; limits?: Partial<HttpLimits> };
}

export async function serveAdmin(options: AdminServerOptions): Promise<AdminServer> {
  const { host, port } = splitHostPort(options.address);
  let allowed: string[] = [];
  const routes = new AdminRoutes({ ops: options.ops, token: options.token, allowedHosts: () => allowed, log: options.log });
  // Security: the same token as every other route here (never --no-http-auth: the admin listener always asks one).
  const mcp =
    options.mcp && options.token
      ? new HttpEndpoint({ hub: options.mcp.hub, log: options.log, limits: resolveHttpLimits(options.mcp.limits), token: options.token, allowedHosts: () => allowed })
      : undefined;
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    const isMcp = mcp && new URL(req.url ?? '/', 'http://localhost').pathname === MCP_PATH;
    if (!isMcp && !routes.handles(req)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end(`not found; see /healthz, /readyz, /metrics, /${mcp ? `, ${MCP_PATH}` : ''}\n`);
    }
    (isMcp ? mcp.handle(req, res) : routes.handle(req, res)).catch((err: unknown) => {
      // A client that went away mid-body is no server error.
      if (req.destroyed || res.destroyed) return;
      options.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'admin request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  allowed = allowedHostsFor(host, actual);
  const url = `http://${normalizeHostname(host)}:${actual}`;
  options.log.info({ url, mcp: Boolean(mcp) }, 'admin endpoints serving (/healthz, /readyz, /metrics, /)');
  return {
    url,
    mcpUrl: mcp ? `${url}${MCP_PATH}` : undefined,
    async close() {
      await mcp?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
