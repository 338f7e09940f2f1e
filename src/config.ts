// Configuration: environment variables first, command-line flags override.
// Defaults work on a laptop with nothing installed: embedded store in
// ./.mesh, everything on 127.0.0.1.
import { MeshError } from './errors.js';

export const DEFAULTS = {
  grpc: '127.0.0.1:7420',
  http: '127.0.0.1:7421',
  dataDir: './.mesh',
} as const;

/** Comma-separated list from an environment variable; empty items dropped. */
export function envList(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** First defined value: the flag, then the environment, then the default. */
export function pick<T>(flag: T | undefined, envValue: T | undefined, fallback: T): T {
  return flag !== undefined && flag !== '' ? flag : envValue !== undefined && envValue !== '' ? envValue : fallback;
}

export function requireValue(value: string | undefined, what: string): string {
  if (!value) throw new MeshError('INVALID_ARGUMENT', `${what} is required`);
  return value;
}

export function parseDriftMode(value: string): 'repair' | 'report' {
  if (value !== 'repair' && value !== 'report') throw new MeshError('INVALID_ARGUMENT', `--drift must be "repair" or "report" (got "${value}")`);
  return value;
}

/** `--scan-interval` / MESH_SCAN_INTERVAL: milliseconds, a whole number >= 0 (0: scan only at attach). */
export function parseScanInterval(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(ms)) {
    throw new MeshError('INVALID_ARGUMENT', `--scan-interval must be a whole number of milliseconds (got "${value}")`);
  }
  return ms;
}
