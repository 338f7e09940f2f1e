// One hub per data folder, with real hub processes: a second hub on the
// folder fails at once naming the folder, the running hub's pid and its
// addresses; a SIGKILLed hub's record does not block a restart; two hubs
// started together on a fresh folder never both run. A busy port names the
// port and the flag that moves it.
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_LOCK_FILE, holderAlive, parseRecord } from '../../../src/mesh/hub/data-lock.js';
import { freePort, killAll, spawnCli, tempDir, type Proc } from '../../support/processes.js';

afterAll(killAll);

const READY = (l: string) => l.includes('"msg":"hub ready"');

function hub(data: string, grpcPort: number, extra: string[] = []): Proc {
  return spawnCli(['hub', '--data', data, '--grpc', `127.0.0.1:${grpcPort}`, ...extra], { MESH_NODE_TOKENS: 'test-token@*' });
}

/** The refusal line the CLI prints before exiting 1, and the exit code. */
async function refusal(p: Proc): Promise<{ code: number | null; line: string }> {
  const code = await p.exited;
  return { code, line: p.lines.find((l) => l.startsWith('mesh-assistant: ')) ?? p.lines.join('\n') };
}

async function occupy(port: number): Promise<Server> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return srv;
}

describe('one hub per data folder', () => {
  it('a second hub on the folder fails at once, naming the folder, pid, gRPC and HTTP addresses of the running one', async () => {
    const tmp = await tempDir('mesh-data-lock-');
    try {
      const data = path.join(tmp.dir, 'hub');
      const firstPort = await freePort();
      const first = hub(data, firstPort, ['--http', '127.0.0.1:0']);
      await first.waitFor(READY);
      const httpUrl = JSON.parse(first.lines.find((l) => l.includes('MCP serving on Streamable HTTP'))!).url as string;

      const t0 = Date.now();
      const second = hub(data, await freePort(), ['--no-http']);
      const { code, line } = await refusal(second);
      expect(code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(15_000); // at once: no waiting for the first hub to go
      expect(line).toContain('HUB_ALREADY_RUNNING');
      expect(line).toContain(data);
      expect(line).toContain(`pid ${first.child.pid}`);
      expect(line).toContain(`127.0.0.1:${firstPort}`);
      expect(line).toContain(httpUrl);
      // The refused hub touched nothing: the first still runs and still owns the record.
      expect(first.child.exitCode).toBeNull();
      expect(JSON.parse(await readFile(path.join(data, DATA_LOCK_FILE), 'utf8')).pid).toBe(first.child.pid);

      // A graceful stop removes the record.
      await first.kill('SIGTERM');
      await expect(readFile(path.join(data, DATA_LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await tmp.cleanup();
    }
  });

  it('the record of a SIGKILLed hub does not block a restart on the folder', async () => {
    const tmp = await tempDir('mesh-data-lock-');
    try {
      const data = path.join(tmp.dir, 'hub');
      const first = hub(data, await freePort(), ['--no-http']);
      await first.waitFor(READY);
      await first.kill('SIGKILL');
      const left = JSON.parse(await readFile(path.join(data, DATA_LOCK_FILE), 'utf8'));
      expect(left.pid).toBe(first.child.pid); // the dead hub's record is still there

      const again = hub(data, await freePort(), ['--no-http']);
      await again.waitFor(READY, 20_000);
      expect(JSON.parse(await readFile(path.join(data, DATA_LOCK_FILE), 'utf8')).pid).toBe(again.child.pid);
      await again.kill('SIGTERM');
    } finally {
      await tmp.cleanup();
    }
  });

  it('two hubs started at the same moment on a fresh folder: exactly one runs', async () => {
    const tmp = await tempDir('mesh-data-lock-');
    try {
      const data = path.join(tmp.dir, 'hub');
      const pair = [hub(data, await freePort(), ['--no-http']), hub(data, await freePort(), ['--no-http'])];
      const outcomes = await Promise.all(
        pair.map((p) =>
          Promise.race([p.waitFor(READY, 30_000).then(() => 'ready' as const), p.exited.then(() => 'exited' as const)]).catch(() => 'exited' as const),
        ),
      );
      expect(outcomes.sort()).toEqual(['exited', 'ready']);
      const loser = pair.find((p) => p.child.exitCode !== null)!;
      expect((await refusal(loser)).line).toContain('HUB_ALREADY_RUNNING');
      for (const p of pair) await p.kill('SIGTERM');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('a busy port', () => {
  it('gRPC: the message names the port and --grpc', async () => {
    const tmp = await tempDir('mesh-busy-port-');
    const port = await freePort();
    const squatter = await occupy(port);
    try {
      const p = hub(path.join(tmp.dir, 'hub'), port, ['--no-http']);
      const { code, line } = await refusal(p);
      expect(code).toBe(1);
      expect(line).toContain('ADDRESS_IN_USE');
      expect(line).toContain(`port ${port}`);
      expect(line).toContain('--grpc');
    } finally {
      squatter.close();
      await tmp.cleanup();
    }
  });

  it('HTTP: the message names the port and --http', async () => {
    const tmp = await tempDir('mesh-busy-port-');
    const port = await freePort();
    const squatter = await occupy(port);
    try {
      const p = hub(path.join(tmp.dir, 'hub'), await freePort(), ['--http', `127.0.0.1:${port}`]);
      const { code, line } = await refusal(p);
      expect(code).toBe(1);
      expect(line).toContain('ADDRESS_IN_USE');
      expect(line).toContain(`port ${port}`);
      expect(line).toContain('--http');
    } finally {
      squatter.close();
      await tmp.cleanup();
    }
  });
});

describe('lock record rules', () => {
  it('a malformed record counts as none (never a crash, never a hub that blocks for good)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant('{"pid":0,"host":"h","since":"x"}'), fc.constant('{"pid":1.5,"host":"h","since":"x"}')), (text) => {
        const r = parseRecord(text);
        if (r) expect(Number.isSafeInteger(r.pid) && r.pid > 0 && typeof r.host === 'string').toBe(true);
      }),
    );
    expect(parseRecord('{"pid":12,"host":"h","since":"t"}')).toMatchObject({ pid: 12 });
  });

  it('a live pid with another start time is a reused pid, not the hub', async () => {
    const { hostname } = await import('node:os');
    const base = { host: hostname(), since: new Date().toISOString() };
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => child.once('exit', resolve));
    try {
      const pid = child.pid!;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
      expect(await holderAlive({ ...base, pid, startTicks: ticks })).toBe(true);
      expect(await holderAlive({ ...base, pid, startTicks: String(Number(ticks) + 1) })).toBe(false);
      expect(await holderAlive({ ...base, pid, startTicks: ticks, bootId: 'another-boot' })).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await gone;
    }
    expect(await holderAlive({ ...base, pid: child.pid!, startTicks: '1' })).toBe(false);
    // A hub on another host cannot be checked from here: it counts as running.
    expect(await holderAlive({ ...base, host: `${hostname()}-elsewhere`, pid: 1 })).toBe(true);
  });
});

describe('in one process', () => {
  it('a second Hub on the folder of a running one in the same process is refused; after stop() the folder is free', async () => {
    const { Hub } = await import('../../../src/mesh/hub/hub.js');
    const { createLogger } = await import('../../../src/log.js');
    const tmp = await tempDir('mesh-data-lock-');
    const options = { dataDir: path.join(tmp.dir, 'hub'), grpcAddress: '127.0.0.1:0', nodeTokens: [], sourceRoots: [], driftMode: 'report' as const, autoPromote: false, log: createLogger('hub', 'silent') };
    const first = await Hub.start(options);
    try {
      await expect(Hub.start(options)).rejects.toMatchObject({ code: 'HUB_ALREADY_RUNNING' });
      expect(JSON.parse(await readFile(path.join(options.dataDir, DATA_LOCK_FILE), 'utf8')).grpc).toBe(first.grpcAddress);
    } finally {
      await first.stop();
    }
    const again = await Hub.start(options);
    await again.stop();
    await tmp.cleanup();
  });
});
