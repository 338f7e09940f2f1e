// Replies and reports from a node, checked against what was asked.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MAX_LIST_ENTRIES } from '../../../src/mesh/fs/read-ops.js';
import { checkListReply, checkManifest, checkManifestDelta, checkProgress, checkReadReply, checkReply, MAX_MANIFEST_FRAME_ENTRIES } from '../../../src/mesh/protocol/frame-checks.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

it('accepts a read reply only within what was asked and what the file holds', () => {
  fc.assert(
    fc.property(fc.nat(1_000), fc.nat(1_000), fc.nat(1_000), fc.nat(2_000), (offset, length, size, sent) => {
      const start = Math.min(offset, size);
      const verdict = code(() => checkReadReply({ session: 's', path: 'p', offset, length }, { data: Buffer.alloc(sent), size, offset: start }));
      const allowed = sent <= Math.min(length || 256 * 1024, size - start);
      expect(verdict).toBe(allowed ? 'ok' : 'NODE_REPLY_INVALID');
    }),
    { numRuns: 3_000 },
  );
  expect(code(() => checkReadReply({ session: 's', path: 'p', offset: 0, length: 16 }, { data: Buffer.alloc(4), size: 100, offset: 50 }))).toBe('NODE_REPLY_INVALID');
});

it('refuses listings that are too long or carry names that are not file names', () => {
  const entry = (name: string) => ({ name, type: 'file' as const, size: 1, mtimeMs: 0 });
  expect(code(() => checkListReply({ entries: [entry('a.txt'), entry('b')] }))).toBe('ok');
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'nul\0', 'x'.repeat(256)]) expect(code(() => checkListReply({ entries: [entry(bad)] })), bad).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkListReply({ entries: [{ ...entry('a'), type: 'device' as never }] }))).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkListReply({ entries: Array.from({ length: MAX_LIST_ENTRIES + 1 }, (_, i) => entry(`f${i}`)) }))).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkReply('deliver', {} as never, { sha256: 'nope', size: 1, fetchedBytes: 0 }))).toBe('NODE_REPLY_INVALID');
  const deliver = (chunkBlake3: unknown) => code(() => checkReply('deliver', {} as never, { sha256: 'a'.repeat(64), size: 1, fetchedBytes: 0, chunkBlake3 } as never));
  expect(deliver(['', 'b'.repeat(64)])).toBe('ok');
  expect(deliver(undefined)).toBe('ok');
  for (const bad of [['x'], ['B'.repeat(64)], 'a'.repeat(64), Array.from({ length: 262_145 }, () => '')]) expect(deliver(bad)).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkReply('list', {} as never, undefined))).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkReply('cancel', {} as never, undefined))).toBe('ok');
});

it('keeps only manifest entries the hub could hold, and limits their number', () => {
  const sha256 = 'a'.repeat(64);
  const report = checkManifest({
    session: 's',
    entries: [
      { path: 'ok/file.txt', size: 1, mtimeMs: 1, sha256 },
      { path: '../escape', size: 1, mtimeMs: 1, sha256 },
      { path: 'a//b', size: 1, mtimeMs: 1, sha256 },
      { path: 'bad-hash', size: 1, mtimeMs: 1, sha256: 'zz' },
    ],
  });
  expect(report.entries.map((e) => e.path)).toEqual(['ok/file.txt']);
  expect(code(() => checkManifest({ session: '../x', entries: [] }))).toBe('INVALID_SESSION_NAME');
  expect(code(() => checkProgress({ transferId: 'not-an-id', verifiedChunks: 1, bytes: 1 }))).toBe('NODE_REPLY_INVALID');
  expect(code(() => checkProgress({ transferId: '0123456789abcdef', verifiedChunks: -1, bytes: 1 }))).toBe('NODE_REPLY_INVALID');
});

it('checks manifest deltas and report pages: epoch, sequence numbers, entries, frame size', () => {
  const sha256 = 'a'.repeat(64);
  const e = (path: string) => ({ path, size: 1, mtimeMs: 1, sha256 });
  const delta = (over: Partial<Parameters<typeof checkManifestDelta>[0]>) =>
    checkManifestDelta({ session: 's', epoch: '0123456789abcdef', baseSeq: 1, seq: 2, changed: [], removed: [], ...over });
  expect(delta({ changed: [e('a.txt'), e('../x')], removed: ['b.txt', '/etc/passwd', 'c//d'] })).toMatchObject({ changed: [e('a.txt')], removed: ['b.txt'] });
  for (const epoch of ['', 'XYZ', 'abc', 'g'.repeat(16), 'a'.repeat(65)]) expect(code(() => delta({ epoch })), epoch).toBe('INVALID_ARGUMENT');
  for (const seq of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2]) expect(code(() => delta({ seq })), String(seq)).toBe('INVALID_ARGUMENT');
  expect(code(() => delta({ changed: Array.from({ length: MAX_MANIFEST_FRAME_ENTRIES }, (_, i) => e(`f${i}`)) }))).toBe('ok');
  expect(code(() => delta({ changed: [e('x')], removed: Array.from({ length: MAX_MANIFEST_FRAME_ENTRIES }, (_, i) => `f${i}`) }))).toBe('LIMIT_EXCEEDED');
  expect(code(() => delta({ session: '../s' }))).toBe('INVALID_SESSION_NAME');
  const page = (over: object) => checkManifest({ session: 's', entries: [e('a')], epoch: '0123456789abcdef', seq: 3, page: 0, last: true, ...over });
  expect(page({})).toMatchObject({ epoch: '0123456789abcdef', seq: 3, page: 0, last: true });
  expect(code(() => page({ page: -1 }))).toBe('INVALID_ARGUMENT');
  expect(code(() => page({ epoch: 'nothex!' }))).toBe('INVALID_ARGUMENT');
  expect(code(() => page({ entries: Array.from({ length: MAX_MANIFEST_FRAME_ENTRIES + 1 }, (_, i) => e(`f${i}`)) }))).toBe('LIMIT_EXCEEDED');
});
