// A hub process serving MCP over Streamable HTTP, and the raw HTTP a test
// needs to attack it: hand-made requests (any header, any body), the SDK
// client with the bearer token, and the hub's resident memory.
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { freePort, spawnCli, type Proc } from './processes.js';

export interface HttpHub {
  proc: Proc;
  pid: number;
  url: string;
  dataDir: string;
  grpcPort: number;
}

export interface HttpHubOptions {
  dataDir: string;
  /** Listen host; default 127.0.0.1. */
  host?: string;
  args?: string[];
  env?: Record<string, string | undefined>;
}

/** Start `hub --http <host>:<free port>` and wait until it is ready. */
export async function startHttpHub(options: HttpHubOptions): Promise<HttpHub> {
  const host = options.host ?? '127.0.0.1';
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const args = ['hub', '--data', options.dataDir, '--grpc', `127.0.0.1:${grpcPort}`, '--http', `${host}:${httpPort}`, ...(options.args ?? [])];
  const proc = spawnCli(args, { MESH_NODE_TOKENS: 'test-token', MESH_HTTP_TOKEN: undefined, ...options.env });
  await proc.waitFor(/"msg":"hub ready"/);
  return { proc, pid: proc.child.pid!, url: `http://${host}:${httpPort}/mcp`, dataDir: options.dataDir, grpcPort };
}

/** The token the hub generated into its data folder. */
export async function fileToken(dataDir: string): Promise<string> {
  return (await readFile(path.join(dataDir, 'http-token'), 'utf8')).trim();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** An SDK client over Streamable HTTP, sending `headers` (e.g. the bearer token) on every request. */
export async function connectClient(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'mesh-security-test', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return { client, transport };
}

export const callTool = (client: Client, name: string, args: Record<string, unknown> = {}, timeout = 60_000) =>
  client.callTool({ name, arguments: args }, undefined, { timeout }) as Promise<CallToolResult>;

export const initializeMessage = (id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

export const toolCallMessage = (id: number, name: string, args: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A hand-made JSON-RPC POST: Host, Origin and authorization can be anything. */
export function rawPost(url: string, headers: Record<string, string>, body: unknown, timeoutMs = 10_000): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('raw request timed out')));
    req.end(JSON.stringify(body));
  });
}

/** The hub's resident set size from /proc/<pid>/status, bytes. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}
