// MCP over stdin/stdout (placeholder signature; see src/mcp/server.ts).
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';

export async function serveStdio(_hub: Hub, _log: Logger): Promise<{ close(): Promise<void> }> {
  throw new Error('not implemented yet');
}
