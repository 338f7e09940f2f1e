// The body budget and body reading of the HTTP endpoint: the budget never
// holds more than its capacity nor loses bytes, whatever the order of
// reservations and releases; a body is read whole, or stopped past the
// per-request maximum.
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyBudget, planBody, readJsonBody, type BodyRead } from '../../src/mcp/http-body.js';

describe('BodyBudget', () => {
  it('holds at most its capacity, and releasing gives back exactly what was reserved, once', () => {
    const op = fc.oneof(fc.record({ kind: fc.constant('reserve' as const), bytes: fc.nat(150) }), fc.record({ kind: fc.constant('release' as const), index: fc.nat(50) }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.array(op, { maxLength: 80 }), (capacity, ops) => {
        const budget = new BodyBudget(capacity);
        const held: Array<{ bytes: number; release: () => void; live: boolean }> = [];
        for (const o of ops) {
          if (o.kind === 'reserve') {
            const fits = budget.inUse + o.bytes <= capacity;
            const release = budget.reserve(o.bytes);
            expect(Boolean(release)).toBe(fits);
            if (release) held.push({ bytes: o.bytes, release, live: true });
          } else if (held.length > 0) {
            const h = held[o.index % held.length]!;
            h.release(); // a second release of the same reservation must be a no-op
            h.live = false;
          }
          expect(budget.inUse).toBe(held.filter((h) => h.live).reduce((sum, h) => sum + h.bytes, 0));
          expect(budget.inUse).toBeLessThanOrEqual(capacity);
        }
      }),
    );
  });

  it('refuses nonsense amounts', () => {
    const budget = new BodyBudget(100);
    for (const bytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 101]) expect(budget.reserve(bytes), String(bytes)).toBeUndefined();
    expect(budget.inUse).toBe(0);
  });
});

describe('planBody', () => {
  it('reserves the declared length, or the maximum without one; refuses a declared length over it', () => {
    fc.assert(
      fc.property(fc.nat(1 << 30), fc.integer({ min: 1, max: 1 << 30 }), (declared, max) => {
        const plan = planBody(String(declared), max);
        if (declared > max) expect(plan).toEqual({ ok: false, declared });
        else expect(plan).toEqual({ ok: true, reserve: declared, declared });
      }),
    );
    expect(planBody(undefined, 1000)).toEqual({ ok: true, reserve: 1000, declared: undefined });
  });
});

describe('readJsonBody over a real socket', () => {
  const MAX = 64 * 1024;
  let server: Server;
  let port: number;
  const reads: BodyRead[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const length = req.headers['content-length'];
      readJsonBody(req, length === undefined ? undefined : Number(length), MAX).then(
        (read) => {
          reads.push(read);
          res.end(read.kind);
        },
        () => res.destroy(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (chunks: Buffer[], declared: boolean) =>
    new Promise<string>((resolve, reject) => {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers: declared ? { 'content-length': String(total) } : {} }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      for (const c of chunks) req.write(c);
      req.end();
    });

  it('parses a body sent with a length or in chunks', async () => {
    const json = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { text: 'é'.repeat(1000) } };
    const bytes = Buffer.from(JSON.stringify(json));
    expect(await post([bytes], true)).toBe('json');
    expect(reads.at(-1)).toEqual({ kind: 'json', value: json });
    // Split inside a two-byte character: decoding happens on the whole body.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    expect(await post([bytes.subarray(0, cut), bytes.subarray(cut)], false)).toBe('json');
    expect(reads.at(-1)).toEqual({ kind: 'json', value: json });
  });

  it('says invalid-json for a body that does not parse, and too-large past the maximum', async () => {
    expect(await post([Buffer.from('{"jsonrpc":')], true)).toBe('invalid-json');
    expect(await post([Buffer.alloc(0)], true)).toBe('invalid-json');
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    expect(await post(Array.from({ length: 5 }, () => chunk), false)).toBe('too-large');
  });
});
