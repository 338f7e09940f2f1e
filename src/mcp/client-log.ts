// Log notifications to one MCP client (notifications/message), for what an
// LLM should see while it works: a node going offline during its call, a
// delivery resuming, drift repaired. Filtered by the level the client set
// with logging/setLevel (default "info"). The hub's own log stays on stderr.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';

/** Level a client gets until it sets one. */
export const DEFAULT_CLIENT_LOG_LEVEL: LoggingLevel = 'info';

const SEVERITY: readonly LoggingLevel[] = LoggingLevelSchema.options;

/** Whether a message at `level` reaches a client that set `threshold` (RFC 5424 order, debug lowest). */
export function passesLevel(level: LoggingLevel, threshold: LoggingLevel): boolean {
  return SEVERITY.indexOf(level) >= SEVERITY.indexOf(threshold);
}

export class ClientLog {
  private threshold: LoggingLevel = DEFAULT_CLIENT_LOG_LEVEL;

  /** Call before the server connects: declares the logging capability and answers logging/setLevel. */
  constructor(
    private readonly server: McpServer,
    private readonly log: Logger,
  ) {
    server.server.registerCapabilities({ logging: {} });
    // Replaces the SDK's own handler, which keys levels by HTTP session and
    // filters only server.sendLoggingMessage; one McpServer serves one
    // client here, and notifications tied to a request need the filter too.
    server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
      this.threshold = request.params.level;
      return {};
    });
  }

  get level(): LoggingLevel {
    return this.threshold;
  }

  /**
   * Send `data` at `level` if the client wants it. `relatedRequestId` ties
   * it to a running call (over HTTP it then travels on that call's stream);
   * without it, it goes to the client's standing stream.
   */
  send(level: LoggingLevel, data: Record<string, unknown>, relatedRequestId?: RequestId): void {
    if (!passesLevel(level, this.threshold)) return;
    const notification = { method: 'notifications/message' as const, params: { level, logger: 'mesh-assistant', data } };
    this.server.server.notification(notification, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((err: unknown) => {
      this.log.debug({ err: String(err) }, 'log notification not sent');
    });
  }
}
