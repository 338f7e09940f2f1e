// Which hub a `hub --stdio` relays to: only an MCP endpoint's address is
// taken from the lock record (the bearer token goes there), a folder whose
// holder is gone is free, and a live holder that serves no MCP over HTTP is
// refused with HUB_ALREADY_RUNNING after a bounded wait.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DATA_LOCK_FILE } from '../../src/mesh/hub/data-lock.js';
import { findRelayTarget, mcpUrlOf } from '../../src/mcp/relay-target.js';
import { tempDir } from '../support/processes.js';

it('takes only an http(s) address of /mcp from the record, a wildcard host as loopback', () => {
  expect(mcpUrlOf('http://127.0.0.1:7421/mcp')?.href).toBe('http://127.0.0.1:7421/mcp');
  expect(mcpUrlOf('http://0.0.0.0:7421/mcp')?.href).toBe('http://127.0.0.1:7421/mcp');
  expect(mcpUrlOf('http://[::]:7421/mcp')?.href).toBe('http://[::1]:7421/mcp');
  for (const refused of [undefined, '', 'not a url', 'file:///etc/passwd', 'http://127.0.0.1:7421/metrics', 'http://user:pw@127.0.0.1:7421/mcp', 'ftp://127.0.0.1/mcp']) {
    expect(mcpUrlOf(refused), String(refused)).toBeUndefined();
  }
});

it('a record whose process is gone leaves the folder free; a live holder without an MCP address is refused after the wait', async () => {
  const tmp = await tempDir('mesh-relay-target-');
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((resolve) => child.once('exit', resolve));
  try {
    const record = (pid: number, mcp?: string) => JSON.stringify({ pid, host: hostname(), since: new Date().toISOString(), grpc: '127.0.0.1:7420', mcp });
    const file = path.join(tmp.dir, DATA_LOCK_FILE);
    await writeFile(file, record(child.pid!));
    const started = Date.now();
    await expect(findRelayTarget(tmp.dir, 600)).rejects.toMatchObject({ code: 'HUB_ALREADY_RUNNING', message: expect.stringContaining(`pid ${child.pid}`) });
    expect(Date.now() - started).toBeLessThan(5_000);

    await writeFile(file, record(child.pid!, 'http://127.0.0.1:9/mcp'));
    expect(await findRelayTarget(tmp.dir, 600)).toMatchObject({ hub: { pid: child.pid }, url: new URL('http://127.0.0.1:9/mcp') });

    child.kill('SIGKILL');
    await gone;
    expect(await findRelayTarget(tmp.dir, 600)).toBeUndefined();
  } finally {
    child.kill('SIGKILL');
    await tmp.cleanup();
  }
});
