// `npm run conformance`: the MCP conformance suite (@modelcontextprotocol/
// conformance 0.1.16) against a hub serving Streamable HTTP. The suite needs
// Node.js 22; the hub stays on the Node.js running this script (20). Node 22
// comes from the npm package node-<platform>-<arch>@22 and the suite from
// npm, both installed once into node_modules/.cache/mesh-conformance (about
// 30 MB to download). Prints one line per scenario and exits 1 unless every
// scenario in REQUIRED_SCENARIOS is green (see verdict.ts).
//
//   npm run conformance [-- --scenario name,name] [-- --prepare]
//
// --prepare only installs Node 22 and the suite (CI does it in the background
// while other checks run).
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { parseChecks, REQUIRED_SCENARIOS, verdict } from './verdict.js';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(REPO, 'node_modules', '.cache', 'mesh-conformance');
const SUITE_PACKAGE = '@modelcontextprotocol/conformance@0.1.16';
const NODE_PACKAGE = `node-${process.platform}-${process.arch}`;
/** Longest a scenario may take, ms. */
const SCENARIO_TIMEOUT_MS = 60_000;

const { values } = parseArgs({ options: { scenario: { type: 'string' }, prepare: { type: 'boolean', default: false } } });
const scenarios = values.scenario ? values.scenario.split(',').map((s) => s.trim()) : [...REQUIRED_SCENARIOS];
const say = (line: string) => process.stdout.write(`${line}\n`);

const exists = (p: string) => access(p).then(() => true, () => false);

/** `npm install` a package into its own prefix under the cache, once. */
async function installOnce(prefix: string, spec: string, entry: string): Promise<string> {
  const file = path.join(prefix, 'node_modules', entry);
  if (await exists(file)) return file;
  await mkdir(prefix, { recursive: true });
  say(`conformance: installing ${spec} into ${path.relative(REPO, prefix)}`);
  await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec], { maxBuffer: 16 * 1024 * 1024 });
  if (!(await exists(file))) throw new Error(`${spec} installed, but ${file} is missing`);
  return file;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A hub on this Node.js, MCP over HTTP on loopback without a token (the suite sends none). */
async function startHub(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const [grpc, http] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'hub', '--data', dataDir, '--grpc', `127.0.0.1:${grpc}`, '--http', `127.0.0.1:${http}`, '--no-http-auth'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MESH_LOG_LEVEL: 'warn' },
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (log = (log + t).slice(-64 * 1024)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${http}/mcp`;
  // Ready once the endpoint answers (401/400/405 all mean it listens); bounded.
  for (let i = 0; ; i++) {
    const up = await fetch(url, { method: 'GET' }).then(() => true, () => false);
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`hub did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<number> {
  const started = Date.now();
  const node22 = await installOnce(path.join(CACHE, 'node22'), `${NODE_PACKAGE}@22`, path.join(NODE_PACKAGE, 'bin', 'node'));
  const suite = await installOnce(path.join(CACHE, 'suite'), SUITE_PACKAGE, path.join('@modelcontextprotocol', 'conformance', 'dist', 'index.js'));
  const { stdout: version } = await run(node22, ['--version']);
  if (values.prepare) {
    say(`conformance: ${SUITE_PACKAGE} and Node.js ${version.trim()} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  }
  say(`conformance: ${SUITE_PACKAGE} on Node.js ${version.trim()}, hub on Node.js ${process.version} (tools ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mesh-conformance-'));
  const hub = await startHub(dataDir);
  let failed = 0;
  try {
    for (const scenario of scenarios) {
      const t0 = Date.now();
      const out = await run(node22, [suite, 'server', '--url', hub.url, '--scenario', scenario, '--verbose'], { timeout: SCENARIO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }).then(
        (r) => r.stdout,
        (err: { stdout?: string }) => err.stdout ?? '',
      );
      const checks = parseChecks(out);
      const v = verdict(scenario, checks);
      if (!v.green) failed++;
      const counts = ['SUCCESS', 'WARNING', 'FAILURE'].map((s) => `${checks.filter((c) => c.status === s).length} ${s.toLowerCase()}`).join(', ');
      say(`${v.green ? 'green' : 'NOT GREEN'}  ${scenario.padEnd(28)} ${counts} (${Date.now() - t0} ms)`);
      for (const p of v.problems) say(`    problem: ${p}`);
      for (const e of v.excused) say(`    excused: ${e} (the suite's own test tool, test_reconnection)`);
    }
  } finally {
    await hub.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  say(`conformance: ${scenarios.length - failed}/${scenarios.length} scenarios green in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`conformance: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
