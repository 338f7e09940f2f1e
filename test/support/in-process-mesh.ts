// A hub and node agents in the test's own process (real gRPC over loopback, a
// real store and real folders), for tests that reach into the hub's state or
// hook its steps. Everything started is stopped by `close`, newest first.
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { Hub } from '../../src/mesh/hub/hub.js';
import type { HubOptions } from '../../src/mesh/hub/hub-options.js';
import { NodeAgent, type NodeAgentOptions } from '../../src/mesh/node/agent.js';
import { tempDir } from './processes.js';

export interface InProcessMesh {
  hub: Hub;
  /** Start a node agent with token `t` (default id `n1`, session `s`, workspace `<tmp>/ws`) and wait until it attached. */
  attach(options?: Partial<NodeAgentOptions>): Promise<NodeAgent>;
  /** Where a node with the default workspace keeps `rel` of session `s`. */
  nodeFile(rel: string): string;
  close(): Promise<void>;
}

/** Start the hub (token `t`, drift repair unless `hub` says otherwise) in a fresh temp folder. */
export async function startInProcessMesh(hub: Partial<HubOptions> = {}): Promise<InProcessMesh> {
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  const tmp = await tempDir();
  stops.push(tmp.cleanup);
  try {
    const started = await Hub.start({
      dataDir: path.join(tmp.dir, 'hub'),
      grpcAddress: '127.0.0.1:0',
      nodeTokens: ['t'],
      sourceRoots: [],
      driftMode: 'repair',
      autoPromote: false,
      log: silentLogger,
      ...hub,
    });
    stops.push(() => started.stop());
    const workspace = path.join(tmp.dir, 'ws');
    return {
      hub: started,
      async attach(options = {}) {
        const agent = new NodeAgent({ hub: started.grpcAddress, nodeId: 'n1', token: 't', workspace, sessions: ['s'], ...options });
        stops.push(() => agent.stop());
        await new Promise<void>((resolve) => {
          agent.once('attached', () => resolve());
          void agent.start();
        });
        return agent;
      },
      nodeFile: (rel) => path.join(workspace, 'sessions', 's', rel),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
