// `mesh-assistant push SOURCE --session S` from a shell: the `push` tool of a
// running hub, called over its MCP HTTP endpoint, with a progress bar on a
// terminal (plain lines every 10 % otherwise, e.g. in CI logs).
import type { Command } from 'commander';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MeshError } from '../errors.js';
import { ERROR_META_KEY } from '../mcp/tool-result.js';
import { findHub, targetOptions, type Target } from './ops-cli.js';
import { progressBar, shortBytes } from './tables.js';

/** Longest a push from the shell may run, ms (the hub's own limit for a push is a day). */
const PUSH_TIMEOUT_MS = 24 * 3600_000;

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Progress drawn in place on a terminal; elsewhere one line each time another tenth is done. */
export function progressPrinter(sink: ProgressSink): { update(done: number, total: number): void; end(): void } {
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total) {
      const line = `${progressBar(done, total, 30)}  ${shortBytes(done)} of ${shortBytes(total)}`;
      if (sink.isTTY) {
        sink.write(`\r${line}`);
        drawn = true;
        return;
      }
      const tenth = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (tenth > lastTenth) {
        lastTenth = tenth;
        sink.write(`${line}\n`);
      }
    },
    end() {
      if (drawn) sink.write('\n');
    },
  };
}

async function connect(url: string, token: string | undefined): Promise<Client> {
  // Loaded here, not at the top: every command of the CLI (a node agent too) would carry the MCP client otherwise.
  const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} } });
  const client = new Client({ name: 'mesh-assistant-cli', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (err) {
    const message = (err as Error).message;
    if (/\b401\b/.test(message)) throw new MeshError('UNAUTHENTICATED', `the hub at ${url} refused the token; pass --token, set MESH_HTTP_TOKEN, or --data of the hub`);
    if (/\b404\b/.test(message)) throw new MeshError('HUB_UNREACHABLE', `the hub at ${url} serves no MCP over HTTP (it runs MCP on stdio); push through a hub started with --http`);
    throw new MeshError('HUB_UNREACHABLE', `cannot reach MCP at ${url}/mcp: ${message}`);
  }
  return client;
}

export function registerPushCommand(program: Command): void {
  targetOptions(
    program
      .command('push')
      .description("push a file under the hub's source roots to every node of a session, with a progress bar")
      .argument('<source>', "the file: relative to one of the hub's source roots, or an absolute path inside one")
      .requiredOption('--session <name>', 'the session whose nodes receive it')
      .option('--dest <path>', 'where it lands, relative to the session root (default: its name at the root)'),
  ).action(async (source: string, opts: Target & { session: string; dest?: string }) => {
    const { url, token } = await findHub(opts);
    const client = await connect(url, token);
    const progress = progressPrinter(process.stderr);
    try {
      const result = (await client.callTool({ name: 'push', arguments: { session: opts.session, source, ...(opts.dest ? { dest: opts.dest } : {}) } }, undefined, {
        onprogress: (p) => progress.update(p.progress, p.total ?? p.progress),
        resetTimeoutOnProgress: true,
        timeout: PUSH_TIMEOUT_MS,
        maxTotalTimeout: PUSH_TIMEOUT_MS,
      })) as CallToolResult;
      progress.end();
      if (result.isError) {
        const meta = result._meta?.[ERROR_META_KEY] as { code?: string; message?: string } | undefined;
        const first = result.content[0];
        throw new MeshError((meta?.code ?? 'INTERNAL') as never, meta?.message ?? (first?.type === 'text' ? first.text : 'push failed'));
      }
      const first = result.content[0];
      process.stdout.write(opts.json ? `${JSON.stringify(result.structuredContent, null, 2)}\n` : `${first?.type === 'text' ? first.text : ''}\n`);
    } finally {
      await client.close().catch(() => {});
    }
  });
}
