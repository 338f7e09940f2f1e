// Latency baseline: the reference MCP filesystem server over stdio, timed with
// the same measureToolLatency used for our own server.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { measureToolLatency, type LatencyResult } from '../lib/latency.js';

export { measureToolLatency, type LatencyResult } from '../lib/latency.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FS_SERVER_BIN = path.join(REPO, 'node_modules', '.bin', 'mcp-server-filesystem');

export interface FsServerOptions {
  /** Folder served; a sample file and folder are created in it. */
  workspace: string;
  /** Counted calls per tool; default 500. */
  samples?: number;
  /** Size of the file read, in bytes; default 4,096. */
  fileBytes?: number;
  /** Entries in the folder listed; default 100. */
  entries?: number;
}

export interface FsServerResult {
  read: LatencyResult;
  list: LatencyResult;
  fileBytes: number;
  entries: number;
}

/** Start the reference filesystem server on `root` and connect an SDK client to it over stdio. */
export async function connectFsServer(root: string): Promise<Client> {
  const transport = new StdioClientTransport({ command: FS_SERVER_BIN, args: [root], stderr: 'ignore' });
  const client = new Client({ name: 'mesh-bench', version: '0.1.0' });
  await client.connect(transport);
  return client;
}

/** Where writeFsServerFiles put the sample file and folder. */
export interface FsServerFiles {
  file: string;
  dir: string;
  fileBytes: number;
  entries: number;
}

/** Create the sample file (`sample.txt`) and folder (`listing/`) in `opts.workspace`. */
export async function writeFsServerFiles(opts: Omit<FsServerOptions, 'samples'>): Promise<FsServerFiles> {
  const fileBytes = opts.fileBytes ?? 4096;
  const entries = opts.entries ?? 100;
  const file = path.join(opts.workspace, 'sample.txt');
  const dir = path.join(opts.workspace, 'listing');
  await writeFile(file, 'mesh assistant latency sample line\n'.repeat(Math.ceil(fileBytes / 35)).slice(0, fileBytes));
  await mkdir(dir, { recursive: true });
  await Promise.all(Array.from({ length: entries }, (_, i) => writeFile(path.join(dir, `entry-${i}.txt`), `${i}\n`)));
  return { file, dir, fileBytes, entries };
}

/** The reference server's tools that match `cat` and `ls`, whichever its release has. */
export async function fsServerTools(client: Client): Promise<{ readTool: string; listTool: string }> {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  // Newer releases call it read_text_file; older ones only have read_file.
  const readTool = tools.includes('read_text_file') ? 'read_text_file' : 'read_file';
  // With sizes, as `ls` returns them (plain list_directory gives names only).
  const listTool = tools.includes('list_directory_with_sizes') ? 'list_directory_with_sizes' : 'list_directory';
  return { readTool, listTool };
}

export async function runFsServerLatency(opts: FsServerOptions): Promise<FsServerResult> {
  const samples = opts.samples ?? 500;
  const { file, dir, fileBytes, entries } = await writeFsServerFiles(opts);
  const client = await connectFsServer(opts.workspace);
  try {
    const { readTool, listTool } = await fsServerTools(client);
    const read = await measureToolLatency(client, readTool, { path: file }, samples);
    const list = await measureToolLatency(client, listTool, { path: dir }, samples);
    return { read, list, fileBytes, entries };
  } finally {
    await client.close();
  }
}
