// The status page in a real headless Chromium (Debian's, driven by
// playwright-core): it shows the mesh, notices a node going offline within
// 5 s without a reload, and shows a file name full of markup as text. A
// screenshot is kept under test-artifacts/. Without Chromium the test is
// skipped with a notice; under CI=true a missing Chromium fails it.
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callTool, connectClient, fileToken, startHttpHub, type HttpHub } from '../support/http-hub.js';
import { killAll, startNodeProc, tempDir, waitAttached, type Proc } from '../support/processes.js';

const CHROMIUM = process.env.MESH_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

const haveChromium = await access(CHROMIUM).then(
  () => true,
  () => false,
);
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`Chromium is required under CI=true but ${CHROMIUM} is missing (apt-get install chromium)`);
  process.stderr.write(`\n*** ${CHROMIUM} not found: the status page test is SKIPPED (apt-get install chromium, or set MESH_TEST_CHROMIUM) ***\n\n`);
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let hub: HttpHub;
let browser: Browser | undefined;
let client: Client;
const nodes = new Map<string, Proc>();

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = await tempDir('mesh-ops-page-');
  hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'hub') });
  for (const id of ['alpha', 'beta']) nodes.set(id, startNodeProc({ id, workspace: path.join(tmp.dir, id), hubPort: hub.grpcPort, sessions: ['demo'] }));
  await Promise.all([...nodes.values()].map((n) => waitAttached(n)));
  ({ client } = await connectClient(hub.url, { authorization: `Bearer ${await fileToken(hub.dataDir)}` }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await client?.close().catch(() => {});
  await killAll();
  await tmp?.cleanup();
});

it.skipIf(!haveChromium)('shows the mesh live: a node going offline within 5 s, markup in a path as text', async () => {
  const base = hub.url.replace(/\/mcp$/, '');
  const token = await fileToken(hub.dataDir);
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  const response = await page.goto(`${base}/?token=${encodeURIComponent(token)}`);
  expect(response!.headers()['content-security-policy']).toMatch(/default-src 'none'/);
  // The token leaves the address bar (and so the history) at once.
  expect(page.url()).toBe(`${base}/`);

  const state = (node: string) => page.locator(`tr[data-node="${node}"] td.state`);
  await expect.poll(() => state('alpha').textContent(), { timeout: 10_000 }).toBe('online');
  await expect.poll(() => state('beta').textContent(), { timeout: 10_000 }).toBe('online');

  const killedAt = Date.now();
  await nodes.get('beta')!.kill('SIGKILL');
  await page.locator('tr[data-node="beta"] td.state.offline').waitFor({ timeout: 5_000 });
  const shownAfterMs = Date.now() - killedAt;
  expect(shownAfterMs).toBeLessThan(5_000);
  expect(await state('alpha').textContent()).toBe('online');

  // A write while beta is away stays a running transfer (queued for beta): its path is markup.
  const hostile = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>.txt`;
  const r = await callTool(client, 'write', { session: 'demo', path: hostile, content: 'x' });
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  const cell = page.locator('#transfers code');
  await expect.poll(() => cell.first().textContent(), { timeout: 5_000 }).toBe(`demo:${hostile}`);
  expect(await page.locator('#transfers img, #transfers script').count()).toBe(0);
  expect(await page.evaluate("window.__pwned")).toBeUndefined();
  expect(await page.locator('#transfers progress').count()).toBe(1);

  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
  expect(errors).toEqual([]);
  process.stderr.write(`status page showed beta offline ${shownAfterMs} ms after it was killed\n`);
});
