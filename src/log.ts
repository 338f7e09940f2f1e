// Logging: JSON lines on stderr, always. In stdio mode stdout belongs to the
// MCP transport, so nothing in this project may log to stdout.
import { pino, type Logger } from 'pino';
import { currentRequestId } from './request-context.js';

export type { Logger };

export function createLogger(name: string, level = process.env.MESH_LOG_LEVEL ?? 'info'): Logger {
  // A line written while serving a tool call says which one (requestId, also in the audit log).
  const mixin = () => {
    const requestId = currentRequestId();
    return requestId ? { requestId } : {};
  };
  return pino({ name, level, base: { pid: process.pid }, mixin }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
