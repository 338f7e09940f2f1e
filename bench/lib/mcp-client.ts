// SDK clients for the hub's MCP server, over Streamable HTTP and over stdio,
// so latency scenarios time our tools exactly as an LLM host would call them.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CLI } from './mesh.js';

/**
 * fetch with an AbortSignal of its own per POST, aborted with the
 * transport's. The SDK hands every request the transport's one signal;
 * undici adds an abort listener to it per request and drops it only when
 * the request is garbage-collected, so over thousands of timed calls each
 * new listener took longer to add (EventTarget looks through the list for a
 * duplicate) and a call cost the client about 0.35 ms more than it should
 * (measured with --cpu-prof on the bench process). A POST's own signal
 * leaves the transport's list when its fetch settles; the standing GET
 * stream keeps its link, so close() still ends it.
 */
export function fetchWithOwnSignals(): FetchLike {
  return async (url, init) => {
    const outer = init?.signal;
    if (!outer) return fetch(url, init);
    const own = new AbortController();
    const abort = () => own.abort(outer.reason);
    if (outer.aborted) abort();
    else outer.addEventListener('abort', abort, { once: true });
    try {
      return await fetch(url, { ...init, signal: own.signal });
    } finally {
      if (init?.method === 'POST') outer.removeEventListener('abort', abort);
    }
  };
}

/** Connect to `http://127.0.0.1:<port>/mcp` with its bearer token; close the client when done. */
export async function connectHttp(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mesh-bench', version: '0.1.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // Redirects refused: with the SDK's default ('manual', followed within the origin) undici copies every request body
    // (a tee of its stream) in case it must be sent again; the hub never redirects.
    requestInit: { headers: { authorization: `Bearer ${token}` }, redirect: 'error' },
    fetch: fetchWithOwnSignals(),
  });
  await client.connect(transport);
  return client;
}

/**
 * Start `mesh-assistant hub --stdio` on `dataDir` (no HTTP, gRPC on a free
 * port) and connect to it; closing the client ends the hub process. With
 * MESH_BENCH_CPU_PROF=<dir> the hub writes a CPU profile there on exit.
 */
export async function connectStdioHub(dataDir: string, extraArgs: string[] = []): Promise<Client> {
  return (await startStdioHub(dataDir, extraArgs)).client;
}

/** connectStdioHub, also giving the hub's pid. `extraArgs` come last: a repeated option (`--grpc`) overrides the default. */
export async function startStdioHub(dataDir: string, extraArgs: string[] = []): Promise<{ client: Client; pid: number }> {
  const prof = process.env.MESH_BENCH_CPU_PROF;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), CLI, 'hub', '--stdio', '--no-http', '--data', dataDir, '--grpc', '127.0.0.1:0', ...extraArgs],
    env: { ...(process.env as Record<string, string>), MESH_LOG_LEVEL: 'warn', MESH_NODE_TOKENS: 'bench-token' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'mesh-bench', version: '0.1.0' });
  await client.connect(transport);
  return { client, pid: transport.pid! };
}
