// Who may talk to the Streamable HTTP endpoint: Host and Origin checks
// against DNS rebinding, and the bearer token. Pure functions; the server
// applies them before any request reaches an MCP session.
import { createHash, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import { isLoopbackHost } from '../mesh/protocol/address.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const HOST_RE = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

/** Lower-case a host name and put an IPv6 literal in brackets. */
export function normalizeHostname(host: string): string {
  const h = host.trim().toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/** The names and addresses of this machine, for a hub listening on every interface. */
export function machineNames(): string[] {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return [os.hostname(), ...addresses];
}

/**
 * Allowed `host[:port]` values. The listen host and the loopback names are
 * allowed with the listening port only; a wildcard listener adds this
 * machine's names and addresses. `extra` entries (an operator's DNS names,
 * e.g. behind a proxy) match any port unless they name one.
 */
export function allowedHostsFor(listenHost: string, port: number, extra: string[] = [], machine: string[] = machineNames()): string[] {
  const host = normalizeHostname(listenHost);
  const wildcard = host === '0.0.0.0' || host === '[::]';
  const names = new Set<string>([...(wildcard ? [] : [host]), ...(isLoopbackHost(listenHost) || wildcard ? LOOPBACK_NAMES : [])]);
  if (wildcard) for (const m of machine) names.add(normalizeHostname(m));
  return [...[...names].map((n) => `${n}:${port}`), ...extra.map((e) => e.trim().toLowerCase()).filter(Boolean)];
}

function splitHost(value: string, defaultPort: string): { hostname: string; port: string } | undefined {
  const m = HOST_RE.exec(value.trim());
  if (!m) return undefined;
  return { hostname: normalizeHostname(m[1]!), port: m[2] ?? defaultPort };
}

function isAllowed(hostname: string, port: string, allowed: string[]): boolean {
  return allowed.includes(`${hostname}:${port}`) || allowed.includes(hostname);
}

/**
 * Security: DNS rebinding. A web page that makes its own name resolve to
 * 127.0.0.1 still sends its own name as Host; only names this server was
 * reached under are served. Returns the reason for a refusal.
 */
export function checkHost(hostHeader: string | undefined, allowed: string[]): string | undefined {
  if (!hostHeader) return 'missing Host header';
  const h = splitHost(hostHeader, '80');
  if (!h || !isAllowed(h.hostname, h.port, allowed)) return `Host "${hostHeader}" is not served here`;
  return undefined;
}

/**
 * Security: cross-site requests. A browser names the page that sent a
 * request in Origin; only pages served from an allowed host:port may call.
 * Requests without Origin (non-browser clients) pass.
 */
export function checkOrigin(origin: string | undefined, allowed: string[]): string | undefined {
  if (origin === undefined) return undefined;
  const m = /^(https?):\/\/([^/]+)$/i.exec(origin.trim());
  const h = m && splitHost(m[2]!, m[1]!.toLowerCase() === 'https' ? '443' : '80');
  if (!h || !isAllowed(h.hostname, h.port, allowed)) return `Origin "${origin}" is not allowed`;
  return undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Security: token guessing by timing. Compares digests in constant time. */
export function checkBearer(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return Boolean(m) && timingSafeEqual(digest(m![1]!), digest(token));
}

/**
 * Security: an open endpoint reachable from other machines. Serving without
 * a token (`--no-http-auth`) is allowed on a loopback address only, and
 * serving with auth needs a token. Returns the reason for a refusal; the
 * server checks it before it listens.
 */
export function authModeRefusal(listenHost: string, auth: boolean, token: string | undefined): string | undefined {
  if (auth && !token) return 'MCP over HTTP needs a bearer token: set MESH_HTTP_TOKEN, or let the hub generate <data>/http-token';
  if (!auth && !isLoopbackHost(listenHost)) {
    return `--no-http-auth is allowed on a loopback address only (127.0.0.1, ::1, localhost), not on ${listenHost}: serve with the bearer token instead`;
  }
  return undefined;
}
