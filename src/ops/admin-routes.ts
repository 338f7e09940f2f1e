// Operators' endpoints, served on the hub's HTTP listener beside /mcp and on
// the admin listener when MCP runs on stdio:
//   /healthz      alive (no token: for probes)
//   /readyz       store reachable and gRPC listening (no token)
//   /metrics      Prometheus text (bearer token)
//   /api/status   the mesh as JSON, for the page and the CLI (bearer token)
//   /             the status page (bearer token, or ?token= for a browser)
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from '../log.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { checkBearer, checkHost, checkOrigin } from '../mcp/http-guard.js';
import type { HubOps } from './hub-ops.js';
import { statusPage, statusPageHeaders } from './status-page.js';
import { statusView } from './status-view.js';

export const ADMIN_PATHS: ReadonlySet<string> = new Set(['/', '/healthz', '/readyz', '/metrics', '/api/status']);

/** Longest a readiness check may take, ms; a probe must not hang on a stuck store. */
export const READY_CHECK_MS = 2_000;

export interface AdminRoutesOptions {
  ops: HubOps;
  /** Undefined: no token asked (`--no-http-auth`, loopback only). */
  token: string | undefined;
  allowedHosts(): string[];
  log: Logger;
}

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** True once a TCP connection to the gRPC address opens: the listener is really there, not only configured. */
async function grpcAccepts(address: string): Promise<void> {
  const { host, port } = splitHostPort(address);
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: target, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

export class AdminRoutes {
  constructor(private readonly options: AdminRoutesOptions) {}

  /** Whether `req` is for one of these routes (then `handle` answers it). */
  handles(req: IncomingMessage): boolean {
    return ADMIN_PATHS.has(new URL(req.url ?? '/', 'http://localhost').pathname);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (url.pathname === '/healthz') return send(res, 200, 'ok\n');
    if (url.pathname === '/readyz') return this.ready(res);
    if (!this.admit(req, res, url)) return;
    const ops = this.options.ops;
    const hub = ops.boundHub;
    if (!hub) return send(res, 503, 'hub starting\n', { 'retry-after': '1' });
    if (url.pathname === '/metrics') {
      const { contentType, body } = await ops.metrics.render();
      return send(res, 200, body, { 'content-type': contentType });
    }
    if (url.pathname === '/api/status') return send(res, 200, JSON.stringify(statusView(hub.status())), { 'content-type': 'application/json' });
    const nonce = randomBytes(16).toString('base64');
    return send(res, 200, statusPage(nonce), statusPageHeaders(nonce));
  }

  private async ready(res: ServerResponse): Promise<void> {
    const hub = this.options.ops.boundHub;
    if (!hub) return send(res, 503, JSON.stringify({ ready: false, checks: { hub: 'starting' } }), { 'content-type': 'application/json' });
    const check = (work: Promise<void>, what: string) =>
      within(READY_CHECK_MS, what, work).then(
        () => 'ok',
        (err: unknown) => `failing: ${(err as Error).message}`.slice(0, 300),
      );
    const [store, grpc] = await Promise.all([check(hub.store.ping(), 'the store'), check(grpcAccepts(hub.grpcAddress), 'the gRPC listener')]);
    const ready = store === 'ok' && grpc === 'ok';
    if (!ready) this.options.log.warn({ store, grpc }, 'readiness check failed');
    return send(res, ready ? 200 : 503, JSON.stringify({ ready, checks: { store, grpc } }), { 'content-type': 'application/json' });
  }

  /** Host, Origin and the bearer token (header, or ?token= on the page); false when refused. */
  private admit(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const allowed = this.options.allowedHosts();
    // Security: DNS rebinding would let a web page read the mesh's status through the user's browser.
    const refused = checkHost(req.headers.host, allowed) ?? checkOrigin(req.headers.origin, allowed);
    if (refused) {
      send(res, 403, `forbidden: ${refused}\n`);
      return false;
    }
    const token = this.options.token;
    if (token === undefined) return true;
    const fromQuery = url.pathname === '/' ? url.searchParams.get('token') : null;
    if (checkBearer(req.headers.authorization, token) || (fromQuery !== null && checkBearer(`Bearer ${fromQuery}`, token))) return true;
    send(res, 401, 'unauthorized: send "Authorization: Bearer <token>" (the token is in <data>/http-token, or MESH_HTTP_TOKEN); in a browser open /?token=<token>\n', {
      'www-authenticate': 'Bearer realm="mesh-assistant"',
    });
    return false;
  }
}
