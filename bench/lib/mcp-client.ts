// SDK clients for the hub's MCP server, over Streamable HTTP and over stdio,
// so latency scenarios time our tools exactly as an LLM host would call them.
import { setMaxListeners } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI } from './mesh.js';

/** Connect to `http://127.0.0.1:<port>/mcp` with its bearer token; close the client when done. */
export async function connectHttp(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mesh-bench', version: '0.1.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  // Every POST passes the transport's one AbortSignal to fetch, which keeps a
  // listener on it per request until collected: thousands of timed calls
  // print a MaxListenersExceededWarning per call otherwise.
  const signal = (transport as unknown as { _abortController?: AbortController })._abortController?.signal;
  if (signal) setMaxListeners(0, signal);
  return client;
}

/**
 * Start `mesh-assistant hub --stdio` on `dataDir` (no HTTP, gRPC on a free
 * port) and connect to it; closing the client ends the hub process. With
 * MESH_BENCH_CPU_PROF=<dir> the hub writes a CPU profile there on exit.
 */
export async function connectStdioHub(dataDir: string): Promise<Client> {
  const prof = process.env.MESH_BENCH_CPU_PROF;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), CLI, 'hub', '--stdio', '--no-http', '--data', dataDir, '--grpc', '127.0.0.1:0'],
    env: { ...(process.env as Record<string, string>), MESH_LOG_LEVEL: 'warn', MESH_NODE_TOKENS: 'bench-token' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'mesh-bench', version: '0.1.0' });
  await client.connect(transport);
  return client;
}
