// Which hub a `hub --stdio` relays to when its data folder is held: the live
// holder named by `<data>/hub.lock`, once that hub has said where it serves
// MCP over HTTP (its --http listener, or /mcp on its admin listener), and a
// watch that says when that very process is gone.
import { MeshError } from '../errors.js';
import { alreadyRunning, DATA_LOCK_FILE, holderAlive, readDataLock, type HubLockRecord } from '../mesh/hub/data-lock.js';
import path from 'node:path';

/** How long a relay waits for a starting hub to announce its MCP address, ms. */
export const ANNOUNCE_WAIT_MS = 20_000;
/** How often the lock record (while waiting) and the hub's process (while relaying) are looked at, ms. */
export const HOLDER_POLL_MS = 250;

export interface RelayTarget {
  /** The hub's lock record as read when the relay chose it; its pid and start time identify the process. */
  hub: HubLockRecord;
  /** Where to send MCP: the announced address, with a wildcard host turned into loopback. */
  url: URL;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The announced MCP address as a URL this process can reach, or undefined
 * when it is not an http(s) URL of an /mcp path. Security: the bearer token
 * goes wherever this points; the record sits in the owner-only data folder,
 * and only an MCP endpoint's address is taken from it.
 */
export function mcpUrlOf(announced: string | undefined): URL | undefined {
  if (!announced) return undefined;
  let url: URL;
  try {
    url = new URL(announced);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/mcp' || url.username || url.password) return undefined;
  // A hub listening on every interface announces the wildcard; it answers on loopback.
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  else if (url.hostname === '[::]') url.hostname = '[::1]';
  return url;
}

/**
 * The hub to relay to, waiting (bounded) for a hub that is still starting to
 * announce its MCP address. Undefined when the folder is free after all (its
 * holder exited meanwhile): the caller then starts a hub itself. Throws
 * HUB_ALREADY_RUNNING when the holder lives but serves no MCP over HTTP.
 */
export async function findRelayTarget(dataDir: string, waitMs = ANNOUNCE_WAIT_MS): Promise<RelayTarget | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const record = await readDataLock(dataDir);
    if (!record || !(await holderAlive(record))) return undefined;
    const url = mcpUrlOf(record.mcp);
    if (url) return { hub: record, url };
    if (Date.now() >= deadline) {
      const refusal = alreadyRunning(dataDir, path.join(dataDir, DATA_LOCK_FILE), record);
      throw new MeshError(
        'HUB_ALREADY_RUNNING',
        `${refusal.message}. It announced no MCP address to relay this stdio client to within ${waitMs / 1000} s (a hub started with --stdio --no-admin serves none)`,
        refusal.details,
      );
    }
    await sleep(HOLDER_POLL_MS);
  }
}

/** Resolves once the process `hub` names has exited (a new hub on the folder is another process). */
export function watchHub(hub: HubLockRecord, everyMs = HOLDER_POLL_MS): { gone: Promise<void>; stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    const look = async () => {
      if (stopped) return;
      if (!(await holderAlive(hub))) return resolve();
      timer = setTimeout(() => void look(), everyMs);
    };
    timer = setTimeout(() => void look(), everyMs);
  });
  return {
    gone,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
