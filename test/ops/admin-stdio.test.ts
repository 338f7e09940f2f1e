// A hub whose MCP runs on stdio serves the operators' endpoints on an admin
// listener of its own (loopback, a free port by default), says where in
// <data>/admin.json, and takes it all away when its host hangs up. stdout
// keeps carrying MCP only.
import { access, mkdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Hub } from '../../src/mesh/hub/hub.js';
import { silentLogger } from '../../src/log.js';
import { serveAdmin } from '../../src/ops/admin-server.js';
import { HubOps } from '../../src/ops/hub-ops.js';
import { data, killStdioHubs, startStdioHub } from '../mcp/mcp-hub.js';
import { eventually, freePort, tempDir } from '../support/processes.js';
import { parsePromText } from '../support/prom-text.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('mesh-ops-stdio-');
});
afterAll(async () => {
  killStdioHubs();
  await tmp?.cleanup();
});

async function hubIn(name: string, args: string[] = []) {
  const dataDir = path.join(tmp.dir, name);
  const sourceRoot = path.join(tmp.dir, `${name}-src`);
  await mkdir(sourceRoot, { recursive: true });
  return { dataDir, hub: await startStdioHub({ dataDir, grpcPort: await freePort(), sourceRoot, args }) };
}

it('serves /healthz, /readyz and /metrics beside stdio, found through admin.json, gone when the host hangs up', async () => {
  const { dataDir, hub } = await hubIn('default');
  const admin = JSON.parse(await readFile(path.join(dataDir, 'admin.json'), 'utf8'));
  expect(admin.pid).toBe(hub.pid);
  expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
  expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);
  expect((await fetch(`${admin.url}/metrics`)).status).toBe(401);
  data(await hub.call('status'));
  const token = (await readFile(path.join(dataDir, 'http-token'), 'utf8')).trim();
  const metrics = await fetch(`${admin.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(metrics.status).toBe(200);
  expect(parsePromText(await metrics.text()).get('mesh_tool_calls_total{tool="status",outcome="ok"}')).toBe(1);
  // The call is audited as coming over stdio.
  const audited = await eventually(async () => (await readFile(path.join(dataDir, 'audit.log'), 'utf8').catch(() => '')).trim());
  expect(JSON.parse(audited!.split('\n')[0]!)).toMatchObject({ tool: 'status', outcome: 'ok', client: 'mesh-test (stdio)' });
  // Log lines written while serving a call carry the call's request id, as its audit line does.
  await hub.call('cat', { session: 'nowhere', path: 'missing.txt' });
  const refusedAudit = await eventually(async () =>
    (await readFile(path.join(dataDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.tool === 'cat'),
  );
  const refusedLog = await eventually(() => hub.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'tool call refused' && l.tool === 'cat'));
  expect(refusedLog.requestId).toBe(refusedAudit.requestId);
  expect(hub.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'hub ready')[0].requestId).toBeUndefined();
  // MCP kept stdout to itself: no stray line reached the client's transport.
  expect(hub.transportErrors).toEqual([]);
  await hub.close();
  await eventually(() => access(path.join(dataDir, 'admin.json')).then(() => false, () => true));
  await expect(fetch(`${admin.url}/healthz`)).rejects.toThrow();
});

it('listens where --admin says, and not at all with --no-admin', async () => {
  const port = await freePort();
  const fixed = await hubIn('fixed', ['--admin', `127.0.0.1:${port}`]);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  await fixed.hub.close();
  const none = await hubIn('none', ['--no-admin']);
  await expect(access(path.join(none.dataDir, 'admin.json'))).rejects.toThrow();
  expect(none.hub.lines.some((l) => JSON.parse(l).msg === 'admin endpoints serving (/healthz, /readyz, /metrics, /)')).toBe(false);
  await none.hub.close();
});

it('still serves MCP when the admin listener cannot start (its port taken)', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as AddressInfo).port;
  try {
    const { dataDir, hub } = await hubIn('busy', ['--admin', `127.0.0.1:${port}`]);
    expect(data(await hub.call('status')).sessions).toEqual([]);
    const warning = hub.lines.map((l) => JSON.parse(l)).find((l) => l.msg?.startsWith('admin endpoints not served'));
    expect(warning?.address).toBe(`127.0.0.1:${port}`);
    await expect(access(path.join(dataDir, 'admin.json'))).rejects.toThrow();
    await hub.close();
  } finally {
    taken.close();
  }
});

it('a store that stops answering makes /readyz fail (503) while /healthz stays up', async () => {
  const dataDir = path.join(tmp.dir, 'in-process');
  const ops = new HubOps({ dataDir, log: silentLogger });
  const hub = await Hub.start({ dataDir, grpcAddress: '127.0.0.1:0', nodeTokens: [], sourceRoots: [], driftMode: 'repair', autoPromote: false, log: silentLogger, observer: ops.observer });
  ops.bind(hub);
  const admin = await serveAdmin({ address: '127.0.0.1:0', ops, token: 'a-token-for-this-test', log: silentLogger });
  try {
    expect((await fetch(`${admin.url}/readyz`)).status).toBe(200);
    // The SQLite connection goes away under the running hub (what a lost store looks like from here).
    await hub.store.close();
    const ready = await fetch(`${admin.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as any;
    expect(body.ready).toBe(false);
    expect(body.checks.store).toMatch(/^failing: /);
    expect(body.checks.grpc).toBe('ok');
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${admin.url}/metrics`, { headers: { authorization: 'Bearer a-token-for-this-test' } });
    expect(parsePromText(await metrics.text()).get('mesh_store_errors_total')).toBeGreaterThanOrEqual(1);
  } finally {
    await admin.close();
    await hub.stop();
  }
});
