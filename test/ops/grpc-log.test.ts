// grpc-js's own diagnostics go through the JSON logger: with grpc-js at its
// most talkative (GRPC_VERBOSITY=DEBUG, GRPC_TRACE=all), every stderr line
// of a hub and a node that attaches to it is still one JSON object.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, killAll, startHubProc, startNodeProc, tempDir, waitAttached } from '../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

it('keeps every stderr line JSON, grpc-js traces included', async () => {
  tmp = await tempDir('mesh-ops-grpc-log-');
  const env = { GRPC_VERBOSITY: 'DEBUG', GRPC_TRACE: 'all', MESH_LOG_LEVEL: 'debug' };
  const grpcPort = await freePort();
  const hub = await startHubProc({ dataDir: path.join(tmp.dir, 'hub'), grpcPort, env });
  const node = startNodeProc({ id: 'alpha', workspace: path.join(tmp.dir, 'alpha'), hubPort: grpcPort, sessions: ['demo'], env });
  await waitAttached(node);
  await node.kill('SIGTERM');
  await hub.kill('SIGTERM');
  for (const [who, proc] of [['hub', hub], ['node', node]] as const) {
    const bad = proc.lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(bad.slice(0, 5), who).toEqual([]);
    const grpcLines = proc.lines.map((l) => JSON.parse(l)).filter((l) => l.component === 'grpc');
    // grpc-js did talk (so the check above saw its lines), and as JSON with a message.
    expect(grpcLines.length, who).toBeGreaterThan(10);
    expect(typeof grpcLines[0].msg, who).toBe('string');
  }
});
