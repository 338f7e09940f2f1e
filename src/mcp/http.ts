// MCP over Streamable HTTP (placeholder signature).
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';

export interface HttpOptions {
  address: string;
  token?: string;
}

export async function serveHttp(_hub: Hub, _options: HttpOptions, _log: Logger): Promise<{ url: string; close(): Promise<void> }> {
  throw new Error('not implemented yet');
}
