// Wiring of the operators' endpoints at hub start: which listener serves
// them (the MCP HTTP listener, or an admin listener of their own when MCP
// runs on stdio, which then serves MCP at /mcp too), and the admin.json that
// tells operator commands where.
import { MeshError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HttpLimits } from '../mcp/http-limits.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { resolveHttpToken } from '../mcp/http-token.js';
import { removeAdminFile, writeAdminFile } from './admin-file.js';
import { DEFAULT_ADMIN_ADDRESS, serveAdmin } from './admin-server.js';
import type { HubOps } from './hub-ops.js';

export interface AdminStart {
  dataDir: string;
  ops: HubOps;
  log: Logger;
  /** The MCP HTTP listener's URL (…/mcp) when there is one: the endpoints are served there. */
  httpUrl?: string;
  /** `--admin <addr>` (string), `--no-admin` (false), or nothing given (true/undefined). */
  admin: string | boolean | undefined;
  envAdmin?: string;
  envToken?: string;
  /** Limits of the admin listener's /mcp (MESH_HTTP_* variables). */
  mcpLimits?: Partial<HttpLimits>;
}

/** Throws INVALID_ARGUMENT naming `flag` unless `address` is HOST:PORT. */
export function checkAddress(address: string, flag: string): void {
  try {
    splitHostPort(address);
  } catch (err) {
    throw new MeshError('INVALID_ARGUMENT', `${flag}: ${(err as Error).message}`);
  }
}

/** Start what is needed and return how to stop it; never fails the hub's start because of a busy admin port. */
export async function startAdminEndpoints(o: AdminStart): Promise<{ url?: string; mcpUrl?: string; close(): Promise<void> }> {
  let url: string | undefined;
  let mcpUrl: string | undefined;
  let closeListener = async () => {};
  if (o.httpUrl) {
    url = o.httpUrl.replace(/\/mcp$/, '');
  } else if (o.admin !== false) {
    const address = typeof o.admin === 'string' ? o.admin : o.envAdmin || DEFAULT_ADMIN_ADDRESS;
    try {
      const token = (await resolveHttpToken(o.dataDir, o.envToken)).token;
      const hub = o.ops.boundHub;
      const server = await serveAdmin({ address, ops: o.ops, token, log: o.log, mcp: hub && { hub, limits: o.mcpLimits } });
      url = server.url;
      mcpUrl = server.mcpUrl;
      closeListener = server.close;
    } catch (err) {
      // A busy port, or a token file the hub refuses: MCP on stdio still works, only the endpoints are missing.
      o.log.warn({ address, err: (err as Error).message }, 'admin endpoints not served (choose another address with --admin HOST:PORT, or --no-admin)');
    }
  }
  if (url) await writeAdminFile(o.dataDir, { url, pid: process.pid });
  return {
    url,
    mcpUrl,
    async close() {
      await closeListener();
      if (url) await removeAdminFile(o.dataDir);
      await o.ops.close();
    },
  };
}
