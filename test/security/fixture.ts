// One mesh per attack test, closed after it together with every process and
// hostile node the test started.
import { afterEach } from 'vitest';
import { killAll } from '../support/processes.js';
import { startMesh, type Mesh, type MeshOptions } from '../mesh/transfer/helpers.js';
import { connectHostile, type HostileNode, type HostileOptions } from './hostile-node.js';

export interface AttackFixture {
  /** Start the test's mesh (a hub driver and its temp folder). */
  mesh(options?: MeshOptions): Promise<Mesh>;
  /** Connect a hand-driven node; closed after the test. */
  hostile(options: HostileOptions): HostileNode;
}

export function attackFixture(): AttackFixture {
  let current: Mesh | undefined;
  const hostiles: HostileNode[] = [];
  afterEach(async (context) => {
    // A failed attack test shows what the hub said last: a frame that never came is explained there.
    if (context.task.result?.state === 'fail' && current) process.stderr.write(`hub's last lines:\n${current.hub.lines.slice(-40).join('\n')}\n`);
    for (const h of hostiles.splice(0)) h.close();
    await current?.close();
    current = undefined;
    await killAll();
  });
  return {
    async mesh(options) {
      current = await startMesh(options);
      return current;
    },
    hostile(options) {
      const h = connectHostile(options);
      hostiles.push(h);
      return h;
    },
  };
}
