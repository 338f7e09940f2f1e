// Attack: another user of the machine drives every tool through the MCP
// HTTP endpoint on loopback. The hub asks for a bearer token by default,
// loopback included; the token is generated into <data>/http-token (0600)
// and reused; MESH_HTTP_TOKEN overrides it; `--no-http-auth` is a loud,
// loopback-only opt-out, refused before anything listens elsewhere.
import { access, chmod, lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, callTool, connectClient, fileToken, initializeMessage, rawPost, startHttpHub, toolCallMessage } from '../support/http-hub.js';
import { freePort, killAll, spawnCli, tempDir, type Proc } from '../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const exists = (p: string) => access(p).then(() => true, () => false);
/** The exit code of a process expected to stop by itself; 'running' if it is still up after `ms`. */
const exitCode = (proc: Proc, ms = 15_000) =>
  Promise.race([proc.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), ms).unref())]);

beforeAll(async () => {
  tmp = await tempDir('mesh-sec-http-token-');
});

afterAll(async () => {
  await killAll();
  await tmp?.cleanup();
});

const write = (file: string) => toolCallMessage(2, 'write', { session: 'demo', path: file, content: 'pwned' });

describe('a hub on loopback with no auth flags', () => {
  it('answers 401 to initialize and tools/call without the token; the generated token works', async () => {
    const hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'default') });
    const noToken = await rawPost(hub.url, {}, initializeMessage());
    expect(noToken.status).toBe(401);
    expect(noToken.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(JSON.parse(noToken.body).error.data.code).toBe('UNAUTHENTICATED');
    expect((await rawPost(hub.url, { authorization: 'Bearer mesh_http_wrong' }, initializeMessage())).status).toBe(401);
    expect((await rawPost(hub.url, {}, write('no-session.txt'))).status).toBe(401);

    // The token kept in the data folder, owner-only.
    const file = path.join(hub.dataDir, 'http-token');
    const st = await lstat(file);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const token = await fileToken(hub.dataDir);
    expect(token).toMatch(/^mesh_http_[A-Za-z0-9_-]{43}$/);

    const { client, transport } = await connectClient(hub.url, bearer(token));
    const ok = await callTool(client, 'write', { session: 'demo', path: 'ok.txt', content: 'authorised' });
    expect(ok.isError).toBeFalsy();
    // A live session id is no substitute for the token.
    const stolen = await rawPost(hub.url, { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' }, write('stolen.txt'));
    expect(stolen.status).toBe(401);
    expect(await exists(path.join(hub.dataDir, 'sessions', 'demo', 'stolen.txt'))).toBe(false);
    await client.close();
    await hub.proc.kill();

    // Reused on the next start, not regenerated.
    const again = await startHttpHub({ dataDir: hub.dataDir });
    expect(await fileToken(hub.dataDir)).toBe(token);
    expect((await rawPost(again.url, bearer(token), initializeMessage())).status).toBe(200);
    expect((await rawPost(again.url, {}, initializeMessage())).status).toBe(401);
    await again.proc.kill();
  });

  it('asks for the token on 127.0.0.2 as well', async () => {
    const hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'loop2'), host: '127.0.0.2' });
    expect((await rawPost(hub.url, {}, initializeMessage())).status).toBe(401);
    expect((await rawPost(hub.url, {}, write('x.txt'))).status).toBe(401);
    expect((await rawPost(hub.url, bearer(await fileToken(hub.dataDir)), initializeMessage())).status).toBe(200);
    await hub.proc.kill();
  });
});

it('MESH_HTTP_TOKEN overrides the token file', async () => {
  const dataDir = path.join(tmp.dir, 'env');
  const first = await startHttpHub({ dataDir });
  const fromFile = await fileToken(dataDir);
  await first.proc.kill();
  const hub = await startHttpHub({ dataDir, env: { MESH_HTTP_TOKEN: 'operator-chosen-token' } });
  expect((await rawPost(hub.url, bearer(fromFile), initializeMessage())).status).toBe(401);
  const { client } = await connectClient(hub.url, bearer('operator-chosen-token'));
  expect((await callTool(client, 'status')).isError).toBeFalsy();
  await client.close();
  await hub.proc.kill();
});

it('--no-http-auth on loopback serves without a token and logs a warning', async () => {
  const hub = await startHttpHub({ dataDir: path.join(tmp.dir, 'open'), args: ['--no-http-auth'] });
  const warning = await hub.proc.waitFor(/without a bearer token \(--no-http-auth\)/);
  expect(JSON.parse(warning).level).toBe(40);
  const { client } = await connectClient(hub.url);
  expect((await callTool(client, 'status')).isError).toBeFalsy();
  await client.close();
  await hub.proc.kill();
});

it('--no-http-auth beyond loopback is refused before anything listens', async () => {
  const dataDir = path.join(tmp.dir, 'wide');
  const hub = spawnCli(['hub', '--data', dataDir, '--grpc', `127.0.0.1:${await freePort()}`, '--http', `0.0.0.0:${await freePort()}`, '--no-http-auth'], {
    MESH_NODE_TOKENS: 'test-token',
  });
  expect(await exitCode(hub)).toBe(1);
  const out = hub.lines.join('\n');
  expect(out).toMatch(/INVALID_ARGUMENT: refusing to serve MCP over HTTP on 0\.0\.0\.0:\d+: --no-http-auth is allowed on a loopback address only/);
  // Refused before the hub opened its store or any listener.
  expect(out).not.toMatch(/MCP serving on Streamable HTTP|hub listening for nodes|hub ready/);
  expect(await exists(path.join(dataDir, 'mesh.sqlite'))).toBe(false);
});

describe('an unsafe token file stops the start', () => {
  const refused = async (name: string, plant: (file: string) => Promise<void>, why: RegExp) => {
    const dataDir = path.join(tmp.dir, name);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await plant(path.join(dataDir, 'http-token'));
    const hub = spawnCli(['hub', '--data', dataDir, '--grpc', `127.0.0.1:${await freePort()}`, '--http', `127.0.0.1:${await freePort()}`], { MESH_NODE_TOKENS: 'test-token' });
    expect(await exitCode(hub)).toBe(1);
    expect(hub.lines.join('\n')).toMatch(why);
  };

  it('readable by group or others', async () => {
    await refused('group-readable', async (file) => {
      await writeFile(file, 'mesh_http_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n', { mode: 0o600 });
      await chmod(file, 0o640);
    }, /refusing to use the HTTP token file .*readable or writable by group or others \(mode 640\); run `chmod 600/);
  });

  it('a link planted in its place', async () => {
    const target = path.join(tmp.dir, 'elsewhere-token');
    await writeFile(target, 'mesh_http_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n', { mode: 0o600 });
    await refused('link', (file) => symlink(target, file), /refusing to use the HTTP token file .*symbolic link/);
  });
});
