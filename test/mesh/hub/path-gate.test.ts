// The promotion gate: a folder held exclusively admits no new write under
// it, and is handed over only once the writes already under it finished;
// writes elsewhere never notice it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshError } from '../../../src/errors.js';
import { gateSegments, isUnderFolder, PathGate } from '../../../src/mesh/hub/path-gate.js';

/** A promise with its resolve function, for steering the order of events by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Let every settled promise's continuation run (bounded). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const segment = fc.constantFrom('skills', 'Skills', 'hello', 'HELLO', 'x', 'y.txt', 'a');
const rel = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

describe('isUnderFolder', () => {
  it('compares whole segments, folding case', () => {
    fc.assert(
      fc.property(rel, rel, (folder, p) => {
        const f = gateSegments(folder);
        const s = gateSegments(p);
        const expected = s.length >= f.length && f.every((x, i) => x === s[i]);
        expect(isUnderFolder(folder, p)).toBe(expected);
        expect(isUnderFolder(folder, `${folder}/${p}`)).toBe(true);
        expect(isUnderFolder(folder, folder.toUpperCase())).toBe(true);
      }),
    );
    // A string prefix is not a folder prefix.
    expect(isUnderFolder('skills/hello', 'skills/hello2/x')).toBe(false);
    expect(isUnderFolder('skills/hello', 'skills/hello/x')).toBe(true);
  });
});

describe('PathGate', () => {
  it('refuses writes under a held folder at once, and lets others through', async () => {
    const gate = new PathGate();
    const inside = deferred();
    const held = gate.exclusive('s', 'skills/hello', () => inside.promise);
    const refused = await gate.write('s', 'skills/hello/a.txt', async () => 'written').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MeshError);
    expect(refused).toMatchObject({ code: 'SKILL_BUSY', details: { skill: 'skills/hello' } });
    expect((refused as MeshError).hint).toMatch(/promoted/);
    await expect(gate.write('s', 'Skills/HELLO/b.txt', async () => 1)).rejects.toMatchObject({ code: 'SKILL_BUSY' });
    // Another folder, another session, a sibling with a longer name: not affected.
    await expect(gate.write('s', 'skills/hello2/a.txt', async () => 1)).resolves.toBe(1);
    await expect(gate.write('t', 'skills/hello/a.txt', async () => 2)).resolves.toBe(2);
    inside.resolve();
    await held;
    await expect(gate.write('s', 'skills/hello/a.txt', async () => 3)).resolves.toBe(3);
  });

  it('starts the exclusive holder only after writes in progress under it finished', async () => {
    const gate = new PathGate();
    const write = deferred();
    const writing = gate.write('s', 'skills/hello/a.txt', () => write.promise);
    let started = false;
    const held = gate.exclusive('s', 'skills/hello', async () => {
      started = true;
    });
    await settle();
    expect(started).toBe(false);
    expect(gate.writesUnder('s', 'skills/hello')).toBe(1);
    write.resolve();
    await writing;
    await held;
    expect(started).toBe(true);
  });

  it('runs holders of the same or nested folders one after the other, in arrival order', async () => {
    const gate = new PathGate();
    const order: string[] = [];
    const first = deferred();
    const a = gate.exclusive('s', 'skills/hello', async () => {
      order.push('a');
      await first.promise;
      order.push('a done');
    });
    const b = gate.exclusive('s', 'skills/hello', async () => void order.push('b'));
    const c = gate.exclusive('s', 'skills', async () => void order.push('c'));
    const other = gate.exclusive('s', 'tools/other', async () => void order.push('other'));
    await settle();
    expect(order).toEqual(['a', 'other']);
    first.resolve();
    await Promise.all([a, b, c, other]);
    expect(order).toEqual(['a', 'other', 'a done', 'b', 'c']);
  });

  it('admits a step of a write in progress while a holder waits for it, and the holder runs after both', async () => {
    const gate = new PathGate();
    const order: string[] = [];
    const write = deferred();
    const writing = gate.write('s', 'skills/hello/a.txt', async () => {
      await write.promise;
      // A push's mirror commit: a write of the same path, made by the write itself.
      await gate.write('s', 'Skills/hello/a.txt', async () => void order.push('commit'));
      order.push('write done');
    });
    const held = gate.exclusive('s', 'skills/hello', async () => void order.push('promotion'));
    await settle();
    // Another path under the folder is still refused while the holder waits.
    await expect(gate.write('s', 'skills/hello/b.txt', async () => 1)).rejects.toMatchObject({ code: 'SKILL_BUSY' });
    write.resolve();
    await Promise.all([writing, held]);
    expect(order).toEqual(['commit', 'write done', 'promotion']);
    // With no write of its path in progress, the same write is refused while a holder runs.
    const running = deferred();
    const holding = gate.exclusive('s', 'skills/hello', () => running.promise);
    await settle();
    await expect(gate.write('s', 'skills/hello/a.txt', async () => 1)).rejects.toMatchObject({ code: 'SKILL_BUSY' });
    running.resolve();
    await holding;
  });

  it('gives up waiting with SKILL_BUSY, and then admits writes again', async () => {
    const gate = new PathGate();
    const write = deferred();
    const writing = gate.write('s', 'skills/hello/a.txt', () => write.promise);
    await expect(gate.exclusive('s', 'skills/hello', async () => 'never', { waitMs: 30 })).rejects.toMatchObject({ code: 'SKILL_BUSY' });
    await expect(gate.write('s', 'skills/hello/b.txt', async () => 'ok')).resolves.toBe('ok');
    write.resolve();
    await writing;
  });

  it('never lets a write and the holder of an enclosing folder, or two holders of overlapping folders, run at once (random schedules)', async () => {
    type Op = { kind: 'write' | 'exclusive'; scope: 's' | 't'; path: string; order: number };
    const op = fc.record({ kind: fc.constantFrom<Op['kind']>('write', 'write', 'exclusive'), scope: fc.constantFrom<Op['scope']>('s', 't'), path: rel, order: fc.nat(1000) });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const gate = new PathGate();
        const running = new Set<Op>();
        const gates = ops.map(() => deferred());
        const check = (me: Op) => {
          for (const other of running) {
            if (other === me || other.scope !== me.scope) continue;
            const [w, x] = me.kind === 'write' ? [me, other] : [other, me];
            if (w.kind === 'write' && x.kind === 'exclusive') expect(isUnderFolder(x.path, w.path)).toBe(false);
            if (me.kind === 'exclusive' && other.kind === 'exclusive') {
              expect(isUnderFolder(me.path, other.path) || isUnderFolder(other.path, me.path)).toBe(false);
            }
          }
        };
        const done = ops.map((o, i) => {
          const body = async () => {
            running.add(o);
            check(o);
            await gates[i]!.promise;
            running.delete(o);
          };
          return (o.kind === 'write' ? gate.write(o.scope, o.path, body) : gate.exclusive(o.scope, o.path, body, { waitMs: 10_000 })).then(
            () => 'ok',
            (e: MeshError) => e.code,
          );
        });
        // Finish the bodies in a random order.
        for (const i of ops.map((o, i) => [o.order, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i)) {
          await settle();
          gates[i]!.resolve();
        }
        const outcomes = await Promise.all(done);
        for (const [i, o] of ops.entries()) {
          // Only writes are refused, and only with SKILL_BUSY; exclusive holders always get their turn.
          if (o.kind === 'exclusive') expect(outcomes[i]).toBe('ok');
          else expect(['ok', 'SKILL_BUSY']).toContain(outcomes[i]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
