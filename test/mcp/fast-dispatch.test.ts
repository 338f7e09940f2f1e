// Requests and notifications go straight to the SDK's handlers
// (fast-dispatch.ts), while every kind of message still reaches the handler
// the SDK would pick: requests answered, notifications (a cancellation)
// honoured, responses to the server's own requests delivered, and a message
// of no kind reported as the SDK reports it. Pins that the switch is made with
// the SDK we ship: an SDK that renames its internals fails here, not silently.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { JSONRPCErrorResponseSchema, JSONRPCResultResponseSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectDispatchingDirectly } from '../../src/mcp/fast-dispatch.js';

interface Pair {
  server: McpServer;
  client: Client;
  switched: boolean;
  errors: Error[];
  serverSide: InMemoryTransport;
  /** Resolves once the `wait` tool runs; `aborted` once its call's signal aborts. */
  waitStarted: Promise<void>;
  aborted: Promise<void>;
}

async function pair(): Promise<Pair> {
  const server = new McpServer({ name: 't', version: '1' });
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  let started!: () => void;
  let abort!: () => void;
  const waitStarted = new Promise<void>((r) => (started = r));
  const aborted = new Promise<void>((r) => (abort = r));
  server.registerTool('wait', { inputSchema: {} }, (_args, extra) =>
    new Promise((resolve) => {
      extra.signal.addEventListener('abort', () => {
        abort();
        resolve({ content: [{ type: 'text', text: 'aborted' }] });
      });
      started();
    }),
  );
  const errors: Error[] = [];
  server.server.onerror = (err) => errors.push(err);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const switched = await connectDispatchingDirectly(server.server, serverSide);
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(clientSide);
  return { server, client, switched, errors, serverSide, waitStarted, aborted };
}

describe('direct dispatch of requests', () => {
  const restore: Array<() => void> = [];
  afterEach(() => restore.splice(0).forEach((undo) => undo()));

  /** Count the SDK's response checks of requests (the client's checks of its responses are not counted): the observer of the short path. */
  function countResponseChecks(): { count: number } {
    const seen = { count: 0 };
    for (const schema of [JSONRPCResultResponseSchema, JSONRPCErrorResponseSchema] as Array<{ safeParse: (v: unknown) => unknown }>) {
      const original = schema.safeParse;
      schema.safeParse = (value: unknown) => {
        if (typeof value === 'object' && value !== null && 'method' in value) seen.count++;
        return original.call(schema, value);
      };
      restore.push(() => void (schema.safeParse = original));
    }
    return seen;
  }

  it('is switched on with the SDK this project ships, and requests skip the response checks', async () => {
    const { switched, client } = await pair();
    expect(switched).toBe(true);
    const checks = countResponseChecks();
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    await client.ping();
    expect(checks.count).toBe(0);
    await client.close();
  });

  it('answers requests, honours notifications and delivers responses to the server\'s own requests', { timeout: 10_000 }, async () => {
    const { server, client, waitStarted, aborted } = await pair();
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
    // A request the SDK's schemas refuse is still answered with its error.
    await expect(client.callTool({ name: 'echo', arguments: { text: 5 } })).resolves.toMatchObject({ isError: true });
    // notifications/cancelled (a notification) reaches the SDK: the running call sees its signal abort.
    const controller = new AbortController();
    const waiting = client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: controller.signal });
    await waitStarted;
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await aborted;
    // The server's own request (ping) gets the client's response through the SDK's response path.
    await expect(server.server.ping()).resolves.toEqual({});
    await client.close();
  });

  it('reports a message of no kind as the SDK does', async () => {
    const { errors, serverSide, client } = await pair();
    serverSide.onmessage!({ jsonrpc: '2.0', nonsense: true } as never);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('Unknown message type')]);
    await client.close();
  });

  it('leaves a transport alone whose own handler the SDK would call first', async () => {
    const server = new McpServer({ name: 't', version: '1' });
    const [, serverSide] = InMemoryTransport.createLinkedPair();
    const seen: unknown[] = [];
    serverSide.onmessage = (m) => seen.push(m);
    expect(await connectDispatchingDirectly(server.server, serverSide)).toBe(false);
    serverSide.onmessage!({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(seen).toHaveLength(1);
    await server.close();
  });
});
