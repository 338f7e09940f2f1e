// Tool arguments and results checked with zod's synchronous parse. The SDK
// checks both with safeParseAsync, which in zod 3 makes promises for every
// field it visits: an `ls` result of 100 entries made about a thousand, and
// each one also ran AsyncLocalStorage's promise hooks (the request id of log
// lines), which together were about a fifth of the hub's time for an `ls`.
// Our schemas have no async refinements, so the synchronous parse is the
// same check with the same result and messages; a schema that ever gets one
// is checked the asynchronous way, as before.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z, type ZodRawShape, type ZodTypeAny } from 'zod';
import { addToolLayer } from './tool-wrapping.js';

type SafeParseAsync = ZodTypeAny['safeParseAsync'];

/** Schemas already switched (a tool's schemas are shared by every MCP server instance: one per HTTP session). */
const switched = new WeakSet<ZodTypeAny>();
/** The object schema made once per raw shape, for the same reason. */
const objectOfShape = new WeakMap<ZodRawShape, ZodTypeAny>();

/** A zod 3 schema (zod 4 ones carry `_zod`, and the SDK parses those itself). */
function isZodSchema(value: unknown): value is ZodTypeAny {
  return typeof value === 'object' && value !== null && '_def' in value && !('_zod' in value) && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/** `schema` with safeParseAsync answered by the synchronous parse. Exported for tests. */
export function checkedSync<T extends ZodTypeAny>(schema: T): T {
  if (switched.has(schema)) return schema;
  switched.add(schema);
  const parseAsync: SafeParseAsync = schema.safeParseAsync.bind(schema);
  const parseSync = schema.safeParse.bind(schema);
  schema.safeParseAsync = (async (data: unknown, params?: Parameters<SafeParseAsync>[1]) => {
    try {
      return parseSync(data, params);
    } catch {
      // zod refuses a synchronous parse of a schema with async refinements ("Synchronous parse encountered promise").
      return parseAsync(data, params);
    }
  }) as SafeParseAsync;
  return schema;
}

/**
 * A tool's input or output schema, as given to registerTool (a raw shape or
 * a zod schema), as a zod 3 schema checked synchronously; anything else
 * (none, or a zod 4 schema) is returned as it is.
 */
export function syncSchema(schema: unknown): unknown {
  if (isZodSchema(schema)) return checkedSync(schema);
  if (typeof schema !== 'object' || schema === null || '_zod' in schema) return schema;
  const shape = schema as ZodRawShape;
  const values = Object.values(shape);
  if (values.length === 0 || !values.every(isZodSchema)) return schema;
  let object = objectOfShape.get(shape);
  if (!object) objectOfShape.set(shape, (object = checkedSync(z.object(shape))));
  return object;
}

/** Tools registered on `server` from now on have their schemas checked synchronously. Call before the tools are registered. */
export function checkToolSchemasSync(server: McpServer): void {
  addToolLayer(server, (_name, config, cb) => ({ config: { ...config, inputSchema: syncSchema(config.inputSchema), outputSchema: syncSchema(config.outputSchema) }, cb }));
}
