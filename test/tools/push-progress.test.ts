// Push progress in bytes of the file: whatever the nodes report, progress
// stays within [0, size], reaches size only when every node is done, and
// the message counts the nodes done and names the slowest.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { progressReport } from '../../src/tools/push-progress.js';

const MiB = 1024 * 1024;

it('reports file bytes and per-node counts', () => {
  const size = 200 * MiB;
  const r = progressReport({
    done: 0,
    total: size * 3,
    size,
    nodes: [
      { node: 'a', bytes: size, done: true },
      { node: 'b', bytes: 120 * MiB, done: false },
      { node: 'c', bytes: 150 * MiB, done: false },
    ],
  });
  expect(r.total).toBe(size);
  expect(r.progress).toBe(Math.floor((200 + 120 + 150) * MiB / 3));
  expect(r.message).toBe('1/3 nodes done; 120 MiB of 200 MiB on the slowest (b)');
});

it('stays within the file size and reaches it only when every node is done', () => {
  fc.assert(
    fc.property(fc.nat(1 << 30), fc.array(fc.record({ node: fc.string(), bytes: fc.integer({ min: -10, max: 2 ** 31 }), done: fc.boolean() }), { minLength: 1, maxLength: 16 }), (size, nodes) => {
      const r = progressReport({ done: 0, total: size * nodes.length, size, nodes });
      expect(r.total).toBe(size);
      expect(r.progress).toBeGreaterThanOrEqual(0);
      expect(r.progress).toBeLessThanOrEqual(size);
      if (nodes.every((n) => n.done)) expect(r.progress).toBe(size);
      else if (size > 0) expect(r.progress).toBeLessThan(size);
      expect(r.message).toContain(`${nodes.filter((n) => n.done).length}/${nodes.length} node`);
    }),
  );
});
