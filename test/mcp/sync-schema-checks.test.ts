// Tool schemas checked with zod's synchronous parse (sync-schema-checks.ts):
// the same verdicts and messages as the asynchronous parse the SDK asks for,
// async refinements still honoured, and a schema shared by many MCP servers
// (one per HTTP session) switched once.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkedSync, syncSchema } from '../../src/mcp/sync-schema-checks.js';

const entry = z.object({ name: z.string(), size: z.number().int().min(0), type: z.enum(['file', 'directory']) });

describe('synchronous schema checks', () => {
  it('gives the verdicts and issues of the asynchronous parse', async () => {
    const shape = { session: z.string(), entries: z.array(entry), depth: z.number().optional() };
    const reference = z.object(shape);
    const checked = syncSchema(shape) as z.ZodTypeAny;
    const inputs = [
      { session: 's', entries: [{ name: 'a', size: 1, type: 'file' }] },
      { session: 's', entries: [{ name: 'a', size: -1, type: 'file' }, { name: 2, size: 1, type: 'link' }] },
      { session: 5, entries: 'x', depth: '1', extra: true },
      undefined,
    ];
    const verdict = (r: z.SafeParseReturnType<unknown, unknown>) => ({ success: r.success, data: r.data, issues: r.error?.issues, message: r.error?.message });
    for (const input of inputs) expect(verdict(await checked.safeParseAsync(input))).toEqual(verdict(await reference.safeParseAsync(input)));
  });

  it('falls back to the asynchronous parse for a schema with an async refinement', async () => {
    const schema = checkedSync(z.object({ name: z.string().refine(async (v) => v !== 'taken', 'name taken') }));
    expect((await schema.safeParseAsync({ name: 'free' })).success).toBe(true);
    const refused = await schema.safeParseAsync({ name: 'taken' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('name taken');
  });

  it('switches a shared schema once and makes one object per raw shape', () => {
    const shape = { a: z.string() };
    expect(syncSchema(shape)).toBe(syncSchema(shape));
    const schema = z.object(shape);
    const once = checkedSync(schema).safeParseAsync;
    expect(checkedSync(schema).safeParseAsync).toBe(once);
  });

  it('leaves what is not a zod 3 raw shape or schema as it is', () => {
    expect(syncSchema(undefined)).toBeUndefined();
    const notShape = { a: 1 };
    expect(syncSchema(notShape)).toBe(notShape);
  });
});
