// `mesh-assistant demo` end to end, as a newcomer runs it: exits 0 with a
// transcript of every step, and leaves nothing behind: its temp folder is
// gone and no process it started is still running (read from /proc).
import { spawn } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { CLI } from '../support/processes.js';

async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

it('runs a hub and 3 nodes through every tool, then cleans up and exits 0', async () => {
  const child = spawn(process.execPath, [CLI, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: undefined } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  let root: string | undefined;
  let pidsWhileRunning: number[] = [];
  // While it runs, the demo's processes are visible: the hub and three nodes, all working in its temp folder.
  const seen = (async () => {
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      root ??= /in (\/\S+mesh-assistant-demo-\S+)/.exec(stdout)?.[1];
      if (root && stdout.includes('[2/6]')) {
        pidsWhileRunning = await processesMentioning(root);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await seen;
  expect(code, `${stdout}\n${stderr}`).toBe(0);
  expect(root).toBeDefined();
  expect(pidsWhileRunning.length).toBeGreaterThanOrEqual(4);
  for (const line of [
    'ok: 3 nodes online in session "demo"',
    'session demo: laptop (online), server (online), slow-pi (online)',
    'ok: the file is on the disk of laptop, server, slow-pi',
    '100%',
    'outcomes: laptop ok, server ok, slow-pi ok',
    'a slow node delays nobody else',
    'ok: all 3 nodes hold big.bin',
    'ok: skill "greet" promoted',
    'hub: big.bin  notes/  skills/',
    'Cleaned up',
  ]) {
    expect(stdout, line).toContain(line);
  }
  // The fast nodes finished well before the one on the slow link.
  const m = /finished: laptop after ([0-9.]+) s, server after ([0-9.]+) s, slow-pi after ([0-9.]+) s/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  expect(Math.max(Number(m![1]), Number(m![2]))).toBeLessThan(Number(m![3]) / 2);
  await expect(access(root!)).rejects.toThrow();
  expect(await processesMentioning(root!)).toEqual([]);
}, 120_000);
