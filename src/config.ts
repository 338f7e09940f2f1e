// Configuration: environment variables first, command-line flags override.
// Defaults work on a laptop with nothing installed: embedded store in
// ./.mesh, everything on 127.0.0.1.
import os from 'node:os';
import path from 'node:path';
import { MeshError } from './errors.js';
import { splitHostPort } from './mesh/protocol/address.js';

export const DEFAULTS = {
  grpc: '127.0.0.1:7420',
  http: '127.0.0.1:7421',
  dataDir: './.mesh',
  /** Admin endpoints next to MCP on stdio: loopback, a free port (its address is in <data>/admin.json). */
  admin: '127.0.0.1:0',
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

/**
 * The data folder from the flag, the environment or the default, as an
 * absolute path. A leading `~/` means the home folder: desktop hosts pass
 * MESH_DATA_DIR without a shell to expand it (the MCP Bundle's default is
 * `~/.mesh-assistant`).
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const chosen = pick(flag, env.MESH_DATA_DIR, DEFAULTS.dataDir);
  if (chosen === '~') return home;
  return path.resolve(/^~[/\\]/.test(chosen) ? path.join(home, chosen.slice(2)) : chosen);
}

/** `--grpc-fetch` (hub) and `--hub-fetch` (node): HOST:PORT or `off`; undefined keeps the default. */
export function parseFetchAddress(value: string | undefined, flag: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'off') return 'off';
  try {
    splitHostPort(value);
  } catch {
    throw new MeshError('INVALID_ARGUMENT', `${flag} must be HOST:PORT or "off" (got "${value}")`);
  }
  return value.trim();
}
