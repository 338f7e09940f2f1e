// The admin listener of a hub whose MCP runs on stdio (no HTTP listener to
// share): the routes of admin-routes.ts and nothing else, loopback by default.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { allowedHostsFor, normalizeHostname } from '../mcp/http-guard.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { AdminRoutes } from './admin-routes.js';
import type { HubOps } from './hub-ops.js';

/**
 * Default admin address when MCP runs on stdio: a free loopback port, published
 * in <data>/admin.json. Not a fixed port: two desktop hosts on one machine each
 * start their own stdio hub, and a fixed port would collide. Give --admin for a
 * port a Prometheus can scrape.
 */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:0';
/** Time limits of the admin listener, ms: probes and scrapes are small requests. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Connections at once: probes, one Prometheus, a few browsers. */
const MAX_CONNECTIONS = 64;

export interface AdminServer {
  /** Base URL, e.g. http://127.0.0.1:7422. */
  url: string;
  close(): Promise<void>;
}

export async function serveAdmin(options: { address: string; ops: HubOps; token: string | undefined; log: Logger }): Promise<AdminServer> {
  const { host, port } = splitHostPort(options.address);
  let allowed: string[] = [];
  const routes = new AdminRoutes({ ops: options.ops, token: options.token, allowedHosts: () => allowed, log: options.log });
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    if (!routes.handles(req)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found; see /healthz, /readyz, /metrics, /\n');
    }
    routes.handle(req, res).catch((err: unknown) => {
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
  options.log.info({ url }, 'admin endpoints serving (/healthz, /readyz, /metrics, /)');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
