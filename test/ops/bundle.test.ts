// The MCP Bundle as a desktop host runs it: built by `deploy/bundle/build.ts`,
// under 10 MB, with no native module inside; unpacked into a temp folder with
// no node_modules anywhere above it, started with the manifest's own
// mcp_config (variables substituted by the mcpb library, as the host does,
// user_config defaults included), driven by the SDK client over stdio. A node
// agent from the project's dist attaches to it with a token from user_config;
// a write and a push from a source root reach the node, and everything the
// hub keeps is in the log store (no SQLite file in its data folder).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { getMcpConfigForManifest, type McpbManifestAny } from '@anthropic-ai/mcpb';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, startNodeProc, tempDir, waitAttached } from '../support/processes.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MCPB = path.join(ROOT, 'node_modules', '.bin', 'mcpb');
const LIMIT_BYTES = 10 * 1024 * 1024;
const TOKEN = 'bundle-test-token';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let packed: string;
let unpacked: string;

/** Every file under `dir`, relative, with its size. */
async function files(dir: string, rel = ''): Promise<Array<{ file: string; size: number }>> {
  const out: Array<{ file: string; size: number }> = [];
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...(await files(dir, child)));
    else out.push({ file: child, size: (await stat(path.join(dir, child))).size });
  }
  return out;
}

function structured(result: CallToolResult): any {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent;
}

describe.skipIf(!existsSync(MCPB))('the MCP Bundle (skipped: the mcpb tool is not installed)', () => {
  beforeAll(async () => {
    tmp = await tempDir('mesh-bundle-');
    packed = path.join(tmp.dir, 'mesh-assistant.mcpb');
    await execFileAsync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'deploy', 'bundle', 'build.ts'), '--out', packed], { cwd: ROOT, timeout: 120_000 });
    unpacked = path.join(tmp.dir, 'installed', 'mesh-assistant');
    await execFileAsync(MCPB, ['unpack', packed, unpacked], { timeout: 60_000 });
  }, 180_000);
  afterAll(async () => {
    killAll();
    await tmp?.cleanup();
  });

  it('is under 10 MB packed, and holds the server script, the fetch worker, the proto and the manifest: no native module', async () => {
    const size = (await stat(packed)).size;
    expect(size).toBeLessThan(LIMIT_BYTES);
    const inside = await files(unpacked);
    expect(inside.filter((f) => f.file.endsWith('.node'))).toEqual([]);
    expect(inside.map((f) => f.file).sort()).toEqual(['README.md', 'manifest.json', 'server/fetch-worker.mjs', 'server/index.mjs', 'server/proto/mesh.proto'].map((f) => path.join(...f.split('/'))));
    const total = inside.reduce((sum, f) => sum + f.size, 0);
    process.stderr.write(`bundle: ${size} bytes packed, ${total} bytes unpacked\n`);
  });

  it('starts from the unpacked folder under the manifest\'s own command, serves MCP, and takes a node', async () => {
    // Nothing above the unpacked bundle could lend it a package: it runs on what it carries.
    for (let dir = unpacked; ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
    const home = path.join(tmp.dir, 'home');
    const sourceRoot = path.join(tmp.dir, 'sources');
    await mkdir(home, { recursive: true });
    await mkdir(sourceRoot, { recursive: true });
    await writeFile(path.join(sourceRoot, 'model.bin'), Buffer.alloc(300_000, 7));
    const grpcPort = await freePort();
    const manifest = JSON.parse(await readFile(path.join(unpacked, 'manifest.json'), 'utf8')) as McpbManifestAny;
    // What a host hands over: the user's answers for some settings; the others keep their defaults (data_dir: ~/.mesh-assistant).
    const config = await getMcpConfigForManifest({
      manifest,
      extensionPath: unpacked,
      systemDirs: { HOME: home },
      userConfig: { grpc_listen: `127.0.0.1:${grpcPort}`, node_tokens: TOKEN, source_roots: sourceRoot },
      pathSeparator: path.sep,
    });
    expect(config).toBeDefined();
    expect(JSON.stringify(config)).not.toMatch(/\$\{/); // every variable substituted
    const transport = new StdioClientTransport({
      command: config!.command,
      args: config!.args,
      env: { ...getDefaultEnvironment(), HOME: home, ...config!.env },
      cwd: tmp.dir,
      stderr: 'pipe',
    });
    const lines: string[] = [];
    transport.stderr!.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    try {
      await client.connect(transport);
      const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
      const status = structured(await call('status'));
      expect(status.sourceRoots).toEqual([sourceRoot]);
      const node = startNodeProc({ id: 'n1', workspace: path.join(tmp.dir, 'n1'), hubPort: grpcPort, sessions: ['demo'], token: TOKEN });
      await waitAttached(node);
      await eventually(async () => structured(await call('status')).online.includes('n1'));
      structured(await call('write', { session: 'demo', path: 'notes/hello.txt', content: 'from the bundle' }));
      const read = await call('cat', { session: 'demo', path: 'notes/hello.txt', node: 'n1' });
      expect(JSON.stringify(read.content)).toContain('from the bundle');
      structured(await call('push', { session: 'demo', source: 'model.bin' }));
      const pushed = path.join(tmp.dir, 'n1', 'sessions', 'demo', 'model.bin');
      await eventually(async () => (await stat(pushed).catch(() => undefined))?.size === 300_000, 30_000);
      // The hub kept its state in the log store in the default data folder: no SQLite, no native module loaded.
      const dataDir = path.join(home, '.mesh-assistant');
      const kept = await readdir(dataDir);
      expect(kept).toContain('mesh.kvlog');
      expect(kept.filter((f) => f.includes('sqlite'))).toEqual([]);
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]); // every log line JSON
    } catch (err) {
      throw new Error(`${(err as Error).message}\nhub stderr, last lines:\n${lines.slice(-8).join('\n')}`, { cause: err });
    } finally {
      await client.close();
    }
  });
});
