// Regression: a hub SIGKILLed between creating a write's temp file and
// renaming it left `.<name>.tmp-<hex>` in the mirror for good (found by the
// crash faults, `npm run faults`). At start the hub now removes such files,
// and only those: look-alike names, links and everything else stay.
import { mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort, killAll, startHubDriver, tempDir } from '../../support/processes.js';

afterAll(killAll);

it('a temp file left in the mirror by a crash is removed when the hub starts again', async () => {
  const tmp = await tempDir('mesh-temp-sweep-');
  try {
    const data = path.join(tmp.dir, 'hub');
    const args = ['--data', data, '--grpc', `127.0.0.1:${await freePort()}`];
    // First run: the hub lays out its data folder; a write puts a real file in the mirror.
    let hub = await startHubDriver(args);
    await hub.call({ op: 'write', session: 's', path: 'shared/f2.txt', content: 'acknowledged' });
    await hub.kill('SIGKILL');

    // What a crash between the temp file's creation and its rename leaves, plus neighbours that must stay.
    const folder = path.join(data, 'sessions', 's', 'shared');
    await writeFile(path.join(folder, '.f2.txt.tmp-26c173ad8558'), 'half a write', { mode: 0o600 });
    await mkdir(path.join(data, 'sessions', 's', 'deep', 'er'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(data, 'sessions', 's', 'deep', 'er', '.x.tmp-0123456789ab'), 'another', { mode: 0o600 });
    await writeFile(path.join(folder, '.notes.tmp-mine'), 'a user file that only looks similar', { mode: 0o600 });
    await writeFile(path.join(folder, 'report.tmp-0123456789ab'), 'no leading dot: not ours', { mode: 0o600 });
    await symlink('f2.txt', path.join(folder, '.link.tmp-abcdefabcdef'));
    // A folder `rm` had hidden but not emptied (one link inside, to a folder outside that must stay whole).
    const outside = path.join(tmp.dir, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'keep.txt'), 'keep');
    await mkdir(path.join(folder, '.old.rm-0123456789ab', 'sub'), { recursive: true, mode: 0o700 });
    await writeFile(path.join(folder, '.old.rm-0123456789ab', 'sub', 'x.txt'), 'x', { mode: 0o600 });
    await symlink(outside, path.join(folder, '.old.rm-0123456789ab', 'out'));

    hub = await startHubDriver(args);
    expect((await readdir(folder)).sort()).toEqual(['.link.tmp-abcdefabcdef', '.notes.tmp-mine', 'f2.txt', 'report.tmp-0123456789ab']);
    expect(await readdir(path.join(data, 'sessions', 's', 'deep', 'er'))).toEqual([]);
    expect(await readlink(path.join(folder, '.link.tmp-abcdefabcdef'))).toBe('f2.txt');
    expect(await readdir(outside)).toEqual(['keep.txt']);
    const [answer] = await hub.call({ op: 'cat', session: 's', path: 'shared/f2.txt' });
    expect(answer.value.data).toBe('acknowledged');
    await hub.kill('SIGTERM');
  } finally {
    await tmp.cleanup();
  }
}, 30_000);
