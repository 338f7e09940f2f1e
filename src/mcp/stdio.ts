// MCP over stdin/stdout, what desktop hosts run. stdout carries MCP messages
// only (logs go to stderr); when the client hangs up, the hub shuts down.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import { createMcpServer } from './server.js';
import { connectDispatchingDirectly } from './fast-dispatch.js';

/**
 * Largest single message read from stdin, bytes. Above the SDK's 10 MB
 * default so that a `write` near the 16 MiB limit (base64 makes it ~21 MiB)
 * is answered, and an oversized one is refused with TOO_LARGE instead of
 * the transport closing under the client.
 */
export const STDIO_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export async function serveStdio(hub: Hub, log: Logger): Promise<{ close(): Promise<void> }> {
  const server = createMcpServer(hub, log);
  const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: STDIO_MAX_MESSAGE_BYTES });
  let closing = false;
  // A host that quits closes our stdin (or the transport gives up on a bad
  // stream): stop like on SIGTERM, so no orphaned hub keeps its ports.
  const hangUp = (why: string) => {
    if (closing) return;
    closing = true;
    log.info({ why }, 'MCP client went away; stopping');
    process.kill(process.pid, 'SIGTERM');
  };
  server.server.onerror = (err) => log.warn({ err: err.message }, 'MCP stdio error');
  await connectDispatchingDirectly(server.server, transport);
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    hangUp('transport closed');
  };
  process.stdin.once('end', () => hangUp('stdin ended'));
  log.info('MCP serving on stdio');
  return {
    async close() {
      closing = true;
      await server.close();
    },
  };
}
