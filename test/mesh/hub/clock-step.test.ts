// A wall-clock step backwards (NTP, `date -s`, a resumed VM) between two
// writes of one path must not make the older write win: last writer wins by
// the order the hub took them in, not by their wall-clock times.
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it, vi } from 'vitest';
import { startInProcessMesh, type InProcessMesh } from '../../support/in-process-mesh.js';

let mesh: InProcessMesh | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await mesh?.close();
  mesh = undefined;
});

it('the later of two writes to an offline node wins although the clock stepped back between them', async () => {
  // Drift in report mode: a repair from the mirror must not hide which delivery landed last.
  mesh = await startInProcessMesh({ driftMode: 'report' });
  const { hub } = mesh;
  const first = await mesh.attach();
  await first.stop();
  await vi.waitFor(() => expect(hub.registry.get('n1')).toBeUndefined(), { timeout: 10_000 });

  const older = await hub.write('s', 'f.txt', Buffer.from('older\n'), 0);
  const now = Date.now();
  vi.spyOn(Date, 'now').mockImplementation(() => now - 3_600_000);
  const newer = await hub.write('s', 'f.txt', Buffer.from('newer\n'), 0);
  expect([older.outcomes[0]?.status, newer.outcomes[0]?.status]).toEqual(['offline', 'offline']);

  await mesh.attach();
  await vi.waitFor(() => expect(hub.transfers.pendingPaths('n1', 's').size).toBe(0), { timeout: 20_000, interval: 20 });
  expect(await readFile(mesh.nodeFile('f.txt'), 'utf8')).toBe('newer\n');
}, 60_000);
