// 16 separate OS processes promote the same skill name from different
// sessions at the same moment, round after round; after every round the
// library and every session must be in one of the states the design allows.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromoteOptions, PromoteResult } from '../../../src/mesh/skills/skill-promote.js';
import { expectLibraryConsistent, expectSiteConsistent, makeTemp, snapshotTree, writeSkill } from './helpers.js';

const WORKERS = 16;
const ROUNDS = 30;
const NAME = 'shared-skill';
const WORKER_SCRIPT = path.join(import.meta.dirname, 'promote-worker.ts');

type Reply = { id: number; ok: true; result: PromoteResult } | { id: number; ok: false; code: string; message: string };

class Worker {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  readonly ready: Promise<void>;

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, 'serve'], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    const lines = createInterface({ input: this.child.stdout });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      lines.on('line', (line) => {
        if (line === 'ready') return resolve();
        const reply = JSON.parse(line) as Reply;
        this.waiting.get(reply.id)?.(reply);
        this.waiting.delete(reply.id);
      });
    });
  }

  promote(id: number, startAt: number, options: PromoteOptions): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${this.child.pid} did not answer command ${id}`)), 45_000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.stdin.write(`${JSON.stringify({ id, startAt, options })}\n`);
    });
  }
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let workers: Worker[] = [];

beforeAll(async () => {
  tmp = await makeTemp('concurrency');
  workers = Array.from({ length: WORKERS }, () => new Worker());
  await Promise.all(workers.map((w) => w.ready));
}, 90_000);

afterAll(async () => {
  for (const w of workers) {
    w.child.stdin.end();
    w.child.kill('SIGKILL');
  }
  await Promise.all(workers.map((w) => (w.child.exitCode !== null || w.child.signalCode !== null ? undefined : new Promise((r) => w.child.once('exit', r)))));
  await tmp.cleanup();
});

describe('16 processes promoting one skill name', () => {
  it(`keeps the library and every session consistent over ${ROUNDS} rounds`, async () => {
    const library = path.join(tmp.dir, 'library');
    const pids = new Set(workers.map((w) => w.child.pid));
    expect(pids.size).toBe(WORKERS);
    let lastVersion = 0;
    const outcomes = { promoted: 0, replaced: 0, unchanged: 0, exists: 0 };

    for (let round = 0; round < ROUNDS; round++) {
      const sessions: Array<{ root: string; rel: string; replace: boolean; before: string[] }> = [];
      for (let i = 0; i < WORKERS; i++) {
        const root = path.join(tmp.dir, 'sessions', `r${round}-w${i}`);
        await mkdir(root, { recursive: true });
        // Even workers share one content per round; odd workers bring their own and replace.
        const same = i % 2 === 0;
        const rel = await writeSkill(root, NAME, {
          'content.txt': same ? `common content of round ${round}` : `content of round ${round} worker ${i}`,
          'scripts/tool.sh': '#!/bin/sh\nexit 0\n',
        });
        sessions.push({ root, rel, replace: !same, before: await snapshotTree(path.join(root, rel)) });
      }

      const startAt = Date.now() + 100;
      const replies = await Promise.all(
        workers.map((w, i) =>
          w.promote(round * WORKERS + i, startAt, {
            sessionRoot: sessions[i]!.root,
            sessionName: `r${round}-w${i}`,
            skillPath: sessions[i]!.rel,
            libraryRoot: library,
            replace: sessions[i]!.replace,
          }),
        ),
      );

      const written: PromoteResult[] = [];
      for (const [i, reply] of replies.entries()) {
        if (!reply.ok) {
          // Only a same-content promotion without replace may be refused, and only because the library differs.
          expect({ worker: i, code: reply.code }).toEqual({ worker: i, code: 'SKILL_EXISTS' });
          expect(sessions[i]!.replace).toBe(false);
          outcomes.exists++;
          continue;
        }
        outcomes[reply.result.status]++;
        if (reply.result.status !== 'unchanged') written.push(reply.result);
      }

      const state = await expectLibraryConsistent(library, NAME);
      // Every write made exactly one new version; none was lost or doubled.
      const versions = written.map((r) => r.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: written.length }, (_, k) => lastVersion + k + 1));
      lastVersion += written.length;
      expect(state.current.version).toBe(lastVersion);
      expect(state.versions).toEqual(Array.from({ length: lastVersion - 1 }, (_, k) => k + 1));
      const newest = written.find((r) => r.version === lastVersion);
      if (newest) expect(state.current.sha256).toBe(newest.sha256);

      for (const [i, reply] of replies.entries()) {
        const site = await expectSiteConsistent(path.join(sessions[i]!.root, sessions[i]!.rel), library, NAME);
        if (reply.ok) expect(site.kind).toBe('link');
        else expect(site).toEqual({ kind: 'folder', snapshot: sessions[i]!.before });
      }
    }

    // The odd workers replace every round; the even ones were refused or matched.
    expect(outcomes.replaced + outcomes.promoted).toBe(lastVersion);
    expect(outcomes.replaced).toBeGreaterThanOrEqual(ROUNDS * (WORKERS / 2) - 1);
    expect(outcomes.exists + outcomes.unchanged + outcomes.replaced + outcomes.promoted).toBe(ROUNDS * WORKERS);
  }, 150_000);
});
