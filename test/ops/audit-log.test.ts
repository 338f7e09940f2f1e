// The audit log file: 0600, one JSON line per record, rotated by size into a
// bounded number of files, and refusing a planted link.
import { chmod, lstat, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { AUDIT_FILE, AuditLog } from '../../src/ops/audit-log.js';
import { eventually, tempDir } from '../support/processes.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir('mesh-audit-');
});
afterEach(async () => {
  await tmp.cleanup();
});

it('writes one JSON line per record, owner-only whatever the umask', async () => {
  const old = process.umask(0o022);
  try {
    const audit = new AuditLog({ dir: tmp.dir, log: silentLogger });
    for (let i = 0; i < 5; i++) audit.append({ i, tool: 'ls' });
    await audit.close();
  } finally {
    process.umask(old);
  }
  const file = path.join(tmp.dir, AUDIT_FILE);
  expect((await lstat(file)).mode & 0o777).toBe(0o600);
  const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.i)).toEqual([0, 1, 2, 3, 4]);
});

it('narrows an audit.log left readable by others to 0600', async () => {
  const file = path.join(tmp.dir, AUDIT_FILE);
  await writeFile(file, '', { mode: 0o644 });
  await chmod(file, 0o644);
  const audit = new AuditLog({ dir: tmp.dir, log: silentLogger });
  audit.append({ tool: 'ls' });
  await audit.close();
  expect((await lstat(file)).mode & 0o777).toBe(0o600);
});

it('rotates by size and keeps a bounded number of files', async () => {
  const audit = new AuditLog({ dir: tmp.dir, maxBytes: 1000, keepFiles: 3, log: silentLogger });
  const pad = 'x'.repeat(80);
  for (let i = 0; i < 200; i++) {
    audit.append({ i, pad });
    if (i % 7 === 0) await audit.flush(); // some lines alone, some in batches
  }
  await audit.close();
  const files = (await readdir(tmp.dir)).sort();
  expect(files).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
  for (const f of files) {
    const st = await lstat(path.join(tmp.dir, f));
    expect(st.mode & 0o777, f).toBe(0o600);
    expect(st.size, f).toBeLessThanOrEqual(1000 + 7 * 120); // one batch may overshoot
  }
  // The newest line is in the live file, and the kept files hold the lines just before it, in order.
  const kept = (await Promise.all(['audit.log.3', 'audit.log.2', 'audit.log.1', 'audit.log'].map((f) => readFile(path.join(tmp.dir, f), 'utf8'))))
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).i);
  expect(kept.at(-1)).toBe(199);
  expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 200 - kept.length + k));
});

it('refuses a link planted at audit.log instead of writing through it', async () => {
  const target = path.join(tmp.dir, 'elsewhere');
  await writeFile(target, '');
  await symlink(target, path.join(tmp.dir, AUDIT_FILE));
  const audit = new AuditLog({ dir: tmp.dir, log: silentLogger });
  audit.append({ tool: 'write' });
  await audit.close();
  expect(await readFile(target, 'utf8')).toBe('');
});

it('holds lines for their batch, so calls in quick succession share one write; flush writes at once', async () => {
  const file = path.join(tmp.dir, AUDIT_FILE);
  const audit = new AuditLog({ dir: tmp.dir, batchMs: 60_000, log: silentLogger });
  audit.append({ i: 0 });
  // Several file system round trips later (each as long as a write would be), nothing is written yet.
  for (let i = 0; i < 20; i++) expect(await readFile(file, 'utf8').catch(() => 'absent')).toBe('absent');
  audit.append({ i: 1 });
  await audit.flush();
  expect((await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).i)).toEqual([0, 1]);
  await audit.close();
});

it('writes a batch by itself once its time is up, and lines queued after it in the next one', async () => {
  const file = path.join(tmp.dir, AUDIT_FILE);
  const audit = new AuditLog({ dir: tmp.dir, batchMs: 20, log: silentLogger });
  const count = async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  audit.append({ i: 0 });
  await eventually(async () => (await count()) === 1);
  audit.append({ i: 1 });
  audit.append({ i: 2 });
  await eventually(async () => (await count()) === 3);
  await audit.close();
});
