// Operator commands run the way an operator runs them: the real CLI, against
// the data folder of a running hub.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from '../support/processes.js';

const run = promisify(execFile);

/** Run `mesh-assistant token ...` on `dataDir`; resolves with stdout. */
export async function tokenCli(dataDir: string, ...args: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, 'token', ...args, '--data', dataDir])).stdout.trim();
}

/** Mint a token and return its secret. */
export function mint(dataDir: string, sessions: string, node?: string): Promise<string> {
  return tokenCli(dataDir, 'create', '--name', node ?? 'shared', '--sessions', sessions, ...(node ? ['--node', node] : []));
}
