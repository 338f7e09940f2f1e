// The processes of `mesh-assistant demo`: a hub serving MCP on stdio to the
// demo's own MCP client, and node agents attached to it, all in one temp
// folder and all stopped (and the folder removed) by close().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MeshError } from '../errors.js';
import { startSlowLink, type SlowLink } from './slow-link.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
/** The token that enrols the demo's nodes into session "demo". */
const DEMO_TOKEN = 'demo-enrolment-token';

export interface DemoMesh {
  root: string;
  sourceDir: string;
  client: Client;
  workspace(node: string): string;
  startNode(id: string, options?: { bytesPerSecond?: number }): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startDemoMesh(): Promise<DemoMesh> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mesh-assistant-demo-'));
  const sourceDir = path.join(root, 'source');
  await mkdir(sourceDir, { recursive: true });
  const children: ChildProcess[] = [];
  const links: SlowLink[] = [];
  const grpcPort = await freePort();
  // A fixed fetch port, so a slow node's file data can go through its slow link too.
  const fetchPort = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('MESH_')) env[k] = v; // the demo's own settings only
  Object.assign(env, { MESH_NODE_TOKENS: `${DEMO_TOKEN}@demo`, MESH_LOG_LEVEL: 'warn' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'hub', '--stdio', '--no-http', '--no-admin', '--data', path.join(root, 'hub'), '--grpc', `127.0.0.1:${grpcPort}`, '--grpc-fetch', `127.0.0.1:${fetchPort}`, '--source-root', sourceDir],
    env,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'mesh-assistant-demo', version: '1.0.0' });
  await client.connect(transport);

  const mesh: DemoMesh = {
    root,
    sourceDir,
    client,
    workspace: (node) => path.join(root, 'nodes', node),
    async startNode(id, options = {}) {
      let port = grpcPort;
      const fetchArgs: string[] = [];
      if (options.bytesPerSecond) {
        const link = await startSlowLink({ host: '127.0.0.1', port: grpcPort }, options.bytesPerSecond);
        const fetchLink = await startSlowLink({ host: '127.0.0.1', port: fetchPort }, options.bytesPerSecond);
        links.push(link, fetchLink);
        port = link.port;
        fetchArgs.push('--hub-fetch', `127.0.0.1:${fetchLink.port}`);
      }
      const child = spawn(process.execPath, [CLI, 'node', '--hub', `127.0.0.1:${port}`, ...fetchArgs, '--id', id, '--workspace', mesh.workspace(id), '--session', 'demo'], {
        env: { ...env, MESH_NODE_TOKEN: DEMO_TOKEN },
        stdio: 'ignore',
      });
      children.push(child);
      child.once('exit', (code) => {
        if (code !== 0 && code !== null && !closing) process.stderr.write(`demo: node ${id} exited with code ${code}\n`);
      });
    },
    async close() {
      closing = true;
      await client.close().catch(() => {});
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const force = setTimeout(() => c.kill('SIGKILL'), 5_000);
              c.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      await Promise.all(links.map((l) => l.close()));
      await rm(root, { recursive: true, force: true });
    },
  };
  let closing = false;
  return mesh;
}

/** Poll `check` every 200 ms until it returns true; fail with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new MeshError('NODE_TIMEOUT', `demo: ${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
