// Transport security: plaintext only on loopback unless --insecure; TLS with
// a server certificate; mutual TLS when the hub is given a CA.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, killAll, spawnCli, startHubProc, startNodeProc, tempDir, waitAttached } from '../../support/processes.js';
import { MiB, sha256File, startMesh, waitForFile } from '../transfer/helpers.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
const file = (name: string) => path.join(tmp.dir, name);

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: tmp.dir });
}

beforeAll(async () => {
  tmp = await tempDir();
  // A throwaway CA, a server certificate for 127.0.0.1 and a client certificate.
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  for (const who of ['server', 'client']) {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'localhost' : 'node'}`);
  }
  await run('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost\\n" > san.ext'], { cwd: tmp.dir });
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  await openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '1');
});

afterAll(async () => {
  await killAll();
  await tmp.cleanup();
});

it('refuses plaintext on a non-loopback address unless --insecure', async () => {
  const port = await freePort();
  const hub = spawnCli(['hub', '--no-http', '--data', file('d1'), '--grpc', `0.0.0.0:${port}`]);
  expect(await hub.exited).toBe(1);
  expect(hub.lines.join('\n')).toMatch(/refusing to listen without TLS on 0\.0\.0\.0/);
});

it('serves nodes over TLS, and requires client certificates when given a CA', async () => {
  const port = await freePort();
  await startHubProc({
    dataDir: file('d2'),
    grpcPort: port,
    extraArgs: ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--tls-ca', file('ca.pem')],
  });
  const withCert = startNodeProc({
    id: 'mtls',
    workspace: file('ws1'),
    hubPort: port,
    sessions: ['s'],
    extraArgs: ['--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), '--tls-key', file('client.key')],
  });
  await waitAttached(withCert);
  // Same CA, no client certificate: the handshake fails, the node keeps retrying.
  const noCert = startNodeProc({ id: 'nocert', workspace: file('ws2'), hubPort: port, sessions: ['s'], extraArgs: ['--tls-ca', file('ca.pem')] });
  await noCert.waitFor(/hub unreachable, retrying/);
  // Plaintext against a TLS hub fails too.
  const plain = startNodeProc({ id: 'plain', workspace: file('ws3'), hubPort: port, sessions: ['s'] });
  await plain.waitFor(/hub unreachable, retrying/);
  expect(noCert.count(/"msg":"attached"/) + plain.count(/"msg":"attached"/)).toBe(0);
});

it('starts the fetch port with the same TLS credentials', async () => {
  const port = await freePort();
  const hub = await startHubProc({ dataDir: file('d3'), grpcPort: port, extraArgs: ['--tls-cert', file('server.pem'), '--tls-key', file('server.key')] });
  // The worker reads the certificate files itself: had it failed, the hub would log it and serve Fetch on the main port only.
  const listening = JSON.parse(await hub.waitFor(/"msg":"hub listening for nodes"/));
  expect(listening).toMatchObject({ tls: true, grpcFetch: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  expect(hub.count(/the fetch worker did not start/)).toBe(0);
});

it('pushes over the fetch port with mutual TLS, which refuses a client without a certificate', async () => {
  const mesh = await startMesh({ hubArgs: ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--tls-ca', file('ca.pem')] });
  try {
    await mesh.startNode({ id: 'a', sessions: ['s'], extraArgs: ['--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), '--tls-key', file('client.key')] });
    const source = path.join(mesh.sourceDir, 'big.bin');
    await writeFile(source, randomBytes(12 * MiB));
    const result = await mesh.hub.call({ op: 'push', session: 's', source: 'big.bin' });
    expect(result.outcomes.map((o: { status: string }) => o.status)).toEqual(['ok']);
    await waitForFile(mesh.nodeFile('a', 's', 'big.bin'), (await sha256File(source))!);
    expect((await mesh.hub.call({ op: 'status' })).fetchVia).toEqual({ a: 'fetch port' });
    // The fetch port holds the main port's rule: no client certificate, no session.
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: mesh.fetchPort, ca: readFileSync(file('ca.pem')) }, () => {
        socket.write('MESHDATA/1\n');
      });
      socket.on('data', () => resolve('answered'));
      socket.on('error', (err) => resolve(`error: ${err.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('answered');
  } finally {
    await mesh.close();
  }
}, 60_000);
