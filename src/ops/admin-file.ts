// Where a running hub's admin endpoints are: <data>/admin.json (owner-only),
// written once the hub listens and removed when it stops, so that operator
// commands given only `--data` find the hub (the token is <data>/http-token).
import { constants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from '../mesh/fs/durable.js';

export const ADMIN_FILE = 'admin.json';
/** An admin.json larger than this is not ours. */
const MAX_ADMIN_FILE_BYTES = 4096;

export interface AdminEndpoint {
  /** Base URL, e.g. http://127.0.0.1:7421 (no trailing slash). */
  url: string;
  pid: number;
}

export function adminFile(dataDir: string): string {
  return path.join(dataDir, ADMIN_FILE);
}

/** Publish where this hub answers; replaces what a previous hub on this folder left. */
export async function writeAdminFile(dataDir: string, endpoint: AdminEndpoint): Promise<void> {
  const file = adminFile(dataDir);
  const temp = tempPathFor(file);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(endpoint)}\n`);
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

/** Remove the file if it still names this process (a newer hub may have replaced it). */
export async function removeAdminFile(dataDir: string, pid = process.pid): Promise<void> {
  const current = await readAdminFile(dataDir).catch(() => undefined);
  if (current?.pid === pid) await rm(adminFile(dataDir), { force: true });
}

/** The endpoint a hub on `dataDir` published, or undefined when there is none. */
export async function readAdminFile(dataDir: string): Promise<AdminEndpoint | undefined> {
  let text: string;
  try {
    text = await readFile(adminFile(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (text.length > MAX_ADMIN_FILE_BYTES) return undefined;
  const value = JSON.parse(text) as Partial<AdminEndpoint>;
  if (typeof value.url !== 'string' || !/^https?:\/\/[^/]+$/.test(value.url) || typeof value.pid !== 'number') return undefined;
  return { url: value.url, pid: value.pid };
}
