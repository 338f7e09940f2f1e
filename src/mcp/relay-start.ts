// Start the hub, or, for `hub --stdio` on a data folder another live hub
// holds, relay this process's MCP client to that hub instead of failing.
// Without --stdio a held folder still fails with HUB_ALREADY_RUNNING: a
// sidecar or service hub has no client of its own to relay.
import { MeshError } from '../errors.js';
import type { Logger } from '../log.js';
import { Hub } from '../mesh/hub/hub.js';
import type { HubOptions } from '../mesh/hub/hub-options.js';
import type { HubOps } from '../ops/hub-ops.js';
import { readHttpToken } from './http-token.js';
import { relayStdio } from './relay.js';
import { findRelayTarget } from './relay-target.js';

/**
 * Tries at taking the folder: a holder that exits while this process waits
 * for its address frees the folder, and this process may then be the hub
 * (unless another took it first).
 */
const START_ATTEMPTS = 3;

export interface RelayChoice {
  stdio: boolean;
  /** The --http address asked for, if any (a relay does not serve it). */
  http?: string;
  ops: HubOps;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

/** The started hub; or, when this process relays, never returns: it exits when the relay ends. */
export async function startHubOrRelay(options: HubOptions, choice: RelayChoice): Promise<Hub> {
  const env = choice.env ?? process.env;
  for (let attempt = 1; ; attempt++) {
    try {
      return await Hub.start(options);
    } catch (err) {
      const held = err instanceof MeshError && err.code === 'HUB_ALREADY_RUNNING';
      if (!choice.stdio || !held || attempt >= START_ATTEMPTS) throw err;
      const target = await findRelayTarget(options.dataDir);
      if (!target) continue;
      if (choice.http) choice.log.warn({ http: choice.http }, '--http is not served by a relay: the running hub serves MCP for this data folder');
      await choice.ops.close();
      const token = await readHttpToken(options.dataDir, env.MESH_HTTP_TOKEN || undefined);
      process.exit(await relayStdio({ target, token, log: choice.log }));
    }
  }
}
