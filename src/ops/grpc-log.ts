// grpc-js writes its own diagnostics ("E 2026-... | subchannel ...") straight
// to stderr with console.error, which would break the rule that every stderr
// line is JSON. This routes them through the process's JSON logger instead.
import * as grpc from '@grpc/grpc-js';
import { format } from 'node:util';
import type { Logger } from '../log.js';

/** grpc-js verbosity that matches a pino level: its debug traces only when we log debug. */
export function grpcVerbosityFor(level: string): grpc.logVerbosity {
  if (level === 'debug' || level === 'trace') return grpc.logVerbosity.DEBUG;
  if (level === 'info') return grpc.logVerbosity.INFO;
  return grpc.logVerbosity.ERROR;
}

/**
 * Send grpc-js's log lines to `log` (child `component: "grpc"`). GRPC_VERBOSITY
 * or GRPC_NODE_VERBOSITY, when set, keep the say over how much grpc-js says;
 * otherwise it follows the logger's level. Process-wide: grpc-js has one logger.
 */
export function routeGrpcLogs(log: Logger, env: NodeJS.ProcessEnv = process.env): void {
  const child = log.child({ component: 'grpc' });
  const line = (args: unknown[]) => format(...args).slice(0, 4096);
  grpc.setLogger({
    error: (...args: unknown[]) => child.error(line(args)),
    info: (...args: unknown[]) => child.info(line(args)),
    debug: (...args: unknown[]) => child.debug(line(args)),
  });
  if (!env.GRPC_VERBOSITY && !env.GRPC_NODE_VERBOSITY) grpc.setLogVerbosity(grpcVerbosityFor(log.level));
}
