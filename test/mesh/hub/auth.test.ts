// Node authentication with real processes: no token, a wrong token and a
// revoked token are refused before any handler logic runs, while the hub
// keeps serving the nodes that hold good tokens.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { CLI, freePort, killAll, startHubProc, startNodeProc, tempDir, waitAttached } from '../../support/processes.js';

afterAll(killAll);
const run = promisify(execFile);

it('refuses missing, wrong and revoked tokens and keeps serving the others', async () => {
  const tmp = await tempDir();
  try {
    const dataDir = path.join(tmp.dir, 'hub');
    const port = await freePort();
    // Two minted tokens, kept hashed in the store.
    const mint = async (name: string) => (await run(process.execPath, [CLI, 'token', 'create', '--name', name, '--sessions', '*', '--data', dataDir])).stdout.trim();
    const good = await mint('good');
    const doomed = await mint('doomed');
    const bound = (await run(process.execPath, [CLI, 'token', 'create', '--name', 'bound', '--node', 'owner', '--sessions', 's', '--data', dataDir])).stdout.trim();
    const list = (await run(process.execPath, [CLI, 'token', 'list', '--data', dataDir])).stdout;
    expect(list).toMatch(/\tgood\t/);
    expect(list).not.toContain(good); // secrets are never listed

    const hub = await startHubProc({ dataDir, grpcPort: port, tokens: ['env-token'] });
    const ws = (id: string) => path.join(tmp.dir, id);
    const envNode = startNodeProc({ id: 'env-node', workspace: ws('env-node'), hubPort: port, sessions: ['s'], token: 'env-token' });
    const mintedNode = startNodeProc({ id: 'minted', workspace: ws('minted'), hubPort: port, sessions: ['s'], token: good });
    await waitAttached(envNode);
    await waitAttached(mintedNode);

    const noToken = startNodeProc({ id: 'anon', workspace: ws('anon'), hubPort: port, sessions: ['s'], token: null });
    const wrong = startNodeProc({ id: 'wrong', workspace: ws('wrong'), hubPort: port, sessions: ['s'], token: 'not-a-token' });
    await noToken.waitFor(/UNAUTHENTICATED: missing/);
    await wrong.waitFor(/UNAUTHENTICATED: unknown token/);

    // Revoke a token that a node is about to use.
    const doomedId = (await run(process.execPath, [CLI, 'token', 'list', '--data', dataDir])).stdout
      .split('\n')
      .find((l) => l.includes('\tdoomed\t'))!
      .split('\t')[0]!;
    await run(process.execPath, [CLI, 'token', 'revoke', doomedId, '--data', dataDir]);
    const revoked = startNodeProc({ id: 'revoked', workspace: ws('revoked'), hubPort: port, sessions: ['s'], token: doomed });
    await revoked.waitFor(/UNAUTHENTICATED: token .* was revoked/);

    // A token bound to one node id works for that node only.
    const owner = startNodeProc({ id: 'owner', workspace: ws('owner'), hubPort: port, sessions: ['s'], token: bound });
    const impostor = startNodeProc({ id: 'impostor', workspace: ws('impostor'), hubPort: port, sessions: ['s'], token: bound });
    await waitAttached(owner);
    await impostor.waitFor(/UNAUTHENTICATED: token \w+ belongs to node \\"owner\\", not \\"impostor\\"/);

    // Refused nodes never attached, and never became members.
    for (const p of [noToken, wrong, revoked, impostor]) expect(p.count(/"msg":"attached"/)).toBe(0);
    expect(hub.count(/"node":"(anon|wrong|revoked|impostor)".*node attached/)).toBe(0);
    expect(hub.count(/attach refused/)).toBeGreaterThanOrEqual(4);
    // The good nodes stayed attached throughout.
    expect(envNode.count(/hub unreachable/)).toBe(0);
    expect(mintedNode.count(/hub unreachable/)).toBe(0);
  } finally {
    await killAll();
    await tmp.cleanup();
  }
});
