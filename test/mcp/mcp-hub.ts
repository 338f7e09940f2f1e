// A hub child process driven by the SDK's MCP client over stdio, for the MCP
// integration tests. Collects the hub's stderr log lines and every transport
// error (a stray line on stdout would show up as one).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ERROR_META_KEY } from '../../src/mcp/tool-result.js';
import { CLI, eventually } from '../support/processes.js';

export interface StdioHub {
  client: Client;
  pid: number;
  lines: string[];
  /** Every JSON-RPC message the hub sent, in order. */
  received: JSONRPCMessage[];
  transportErrors: Error[];
  /** The process's exit code once it exits (null when a signal ended it). */
  exited: Promise<number | null>;
  call(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<CallToolResult>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

const pids = new Set<number>();

/** SIGKILL every hub this file started that is still running (afterAll). */
export function killStdioHubs(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
}

export async function startStdioHub(options: {
  dataDir: string;
  grpcPort: number;
  sourceRoot: string;
  env?: Record<string, string>;
  /** Run the hub under this umask (e.g. '022'), through `sh -c`. */
  umask?: string;
  /** More `hub` flags. */
  args?: string[];
  /** Serve MCP over HTTP on this port as well (beside stdio); the bearer token then comes from MESH_HTTP_TOKEN in `env`. */
  httpPort?: number;
  /** The stderr line that says the process serves (default: "hub ready"; a relay says so otherwise). */
  ready?: RegExp;
}): Promise<StdioHub> {
  const http = options.httpPort === undefined ? ['--no-http'] : ['--http', `127.0.0.1:${options.httpPort}`];
  const argv = [process.execPath, CLI, 'hub', '--stdio', ...http, '--data', options.dataDir, '--grpc', `127.0.0.1:${options.grpcPort}`, '--source-root', options.sourceRoot, ...(options.args ?? [])];
  const transport = new StdioClientTransport({
    command: options.umask === undefined ? argv[0]! : '/bin/sh',
    args: options.umask === undefined ? argv.slice(1) : ['-c', `umask ${options.umask}; exec "$0" "$@"`, ...argv],
    env: { ...(process.env as Record<string, string>), MESH_NODE_TOKENS: 'test-token', MESH_LOG_LEVEL: 'debug', ...options.env },
    stderr: 'pipe',
  });
  const lines: string[] = [];
  let buffer = '';
  transport.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, i));
      if (process.env.MESH_TEST_ECHO) process.stderr.write(`[hub] ${buffer.slice(0, i)}\n`);
      buffer = buffer.slice(i + 1);
    }
  });
  const transportErrors: Error[] = [];
  // Set before connect: the client chains its own handler after this one.
  transport.onerror = (err) => transportErrors.push(err);
  const client = new Client({ name: 'mesh-test', version: '1.0.0' });
  await client.connect(transport);
  // Every message the hub sent, in order, seen at the transport: the SDK client runs notification handlers a
  // microtask later than it settles responses, so a progress notification that shares a read with its
  // response reaches no handler; what the hub sent is read here instead.
  const received: JSONRPCMessage[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (message) => {
    received.push(message);
    deliver(message);
  };
  const pid = transport.pid!;
  pids.add(pid);
  // The SDK transport keeps the child to itself; its exit code is what a host would see.
  const child = (transport as unknown as { _process: import('node:child_process').ChildProcess })._process;
  const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
  await client.listTools(); // caches output schemas, so the client checks every structured result
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<string> => (await eventually(() => lines.find((l) => pattern.test(l)), timeoutMs, 50))!;
  await waitFor(options.ready ?? /"msg":"hub ready"/);
  return {
    client,
    pid,
    lines,
    received,
    transportErrors,
    exited,
    call: (name, args = {}, requestOptions) => client.callTool({ name, arguments: args }, undefined, requestOptions) as Promise<CallToolResult>,
    waitFor,
    async close() {
      await client.close();
      pids.delete(pid);
    },
  };
}

/** The error code of an `isError` result (undefined for a success). */
export function errorCode(result: CallToolResult): string | undefined {
  if (!result.isError) return undefined;
  const meta = result._meta?.[ERROR_META_KEY] as { code?: string } | undefined;
  return meta?.code ?? 'NO_CODE';
}

/** The first text block of a result. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === 'text' ? first.text : '';
}

/** Structured content, typed loosely for assertions. */
export function data(result: CallToolResult): any {
  if (result.isError) throw new Error(`tool failed: ${textOf(result)}`);
  return result.structuredContent;
}
