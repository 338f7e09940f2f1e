// Logging: JSON lines on stderr, always. In stdio mode stdout belongs to the
// MCP transport, so nothing in this project may log to stdout.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.MESH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
