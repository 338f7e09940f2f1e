// The HTTP token file on a real file system: generated once, owner-only,
// fsynced and reused; concurrent first starts agree on one token;
// MESH_HTTP_TOKEN overrides it; a file others could read, a link, a FIFO, a
// folder or garbage in its place stops the start with a clear error.
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHttpToken, loadOrCreateHttpToken, resolveHttpAuth, resolveHttpToken } from '../../src/mcp/http-token.js';
import { tempDir } from '../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const fresh = async () => {
  const dir = path.join(tmp.dir, `d${n++}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
};

beforeAll(async () => {
  tmp = await tempDir('mesh-http-token-');
});
afterAll(() => tmp?.cleanup());

describe('loadOrCreateHttpToken', () => {
  it('generates a 0600 file on first use and reuses it', async () => {
    const dir = path.join(tmp.dir, 'not-yet', 'data');
    const first = await loadOrCreateHttpToken(dir);
    expect(first).toMatchObject({ source: 'file', created: true, file: path.join(dir, 'http-token') });
    expect(first.token).toMatch(/^mesh_http_[A-Za-z0-9_-]{43}$/);
    expect((await lstat(first.file)).mode & 0o777).toBe(0o600);
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    expect((await readFile(first.file, 'utf8')).trim()).toBe(first.token);
    const again = await loadOrCreateHttpToken(dir);
    expect(again).toMatchObject({ token: first.token, created: false });
  });

  it('concurrent first starts on one data folder agree on one token, and leave no temporary file', async () => {
    const dir = await fresh();
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateHttpToken(dir)));
    expect(new Set(all.map((t) => t.token)).size).toBe(1);
    expect(all.filter((t) => t.created).length).toBe(1);
    expect(await readdir(dir)).toEqual(['http-token']);
  });

  it('keeps a token the operator put in the file', async () => {
    const dir = await fresh();
    await writeFile(path.join(dir, 'http-token'), 'my-own-long-token-value\n', { mode: 0o600 });
    expect((await loadOrCreateHttpToken(dir)).token).toBe('my-own-long-token-value');
  });

  const refuses = async (plant: (file: string) => Promise<void>, why: RegExp) => {
    const dir = await fresh();
    await plant(path.join(dir, 'http-token'));
    await expect(loadOrCreateHttpToken(dir)).rejects.toThrow(why);
  };

  it('refuses a file readable or writable by group or others', async () => {
    for (const mode of [0o640, 0o604, 0o620, 0o602]) {
      await refuses(async (file) => {
        await writeFile(file, `${generateHttpToken()}\n`, { mode: 0o600 });
        await chmod(file, mode);
      }, new RegExp(`by group or others \\(mode ${mode.toString(8)}\\)`));
    }
  });

  it('refuses a link, a FIFO, a folder, and a file without a token in it', async () => {
    const target = path.join(tmp.dir, 'target-token');
    await writeFile(target, `${generateHttpToken()}\n`, { mode: 0o600 });
    await refuses((file) => symlink(target, file), /symbolic link/);
    await refuses((file) => promisify(execFile)('mkfifo', ['-m', '600', file]).then(() => {}), /not a regular file/);
    await refuses((file) => mkdir(file, { mode: 0o700 }), /not a regular file/);
    await refuses((file) => writeFile(file, '', { mode: 0o600 }), /does not hold a token/);
    await refuses((file) => writeFile(file, 'short\n', { mode: 0o600 }), /does not hold a token/);
    await refuses((file) => writeFile(file, 'two words here, long enough\n', { mode: 0o600 }), /does not hold a token/);
  });
});

describe('resolveHttpToken and resolveHttpAuth', () => {
  it('MESH_HTTP_TOKEN wins and creates no file', async () => {
    const dir = await fresh();
    expect(await resolveHttpToken(dir, 'from-the-env')).toMatchObject({ token: 'from-the-env', source: 'env', created: false });
    await expect(lstat(path.join(dir, 'http-token'))).rejects.toThrow(/ENOENT/);
  });

  it('without auth: loopback only, and no token', async () => {
    const dir = await fresh();
    expect(await resolveHttpAuth('127.0.0.1:7421', false, dir)).toEqual({ auth: false });
    expect(await resolveHttpAuth('[::1]:7421', false, dir)).toEqual({ auth: false });
    for (const address of ['0.0.0.0:7421', '[::]:7421', '192.168.1.10:7421', 'mesh.example:7421']) {
      await expect(resolveHttpAuth(address, false, dir), address).rejects.toThrow(/--no-http-auth is allowed on a loopback address only/);
    }
    const withAuth = await resolveHttpAuth('0.0.0.0:7421', true, dir);
    expect(withAuth.auth).toBe(true);
    expect(withAuth.token?.token).toMatch(/^mesh_http_/);
  });
});
