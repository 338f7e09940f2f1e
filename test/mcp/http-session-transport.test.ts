// The session transport's plain JSON answers, against a real McpServer and
// the SDK's Streamable HTTP transport on a real HTTP server: an answer comes
// back as one JSON body; a request the client cancels ends with 202 instead
// of holding its POST open; a session closing answers what still waits.
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCRequest, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { trackReadOnlyTools } from '../../src/mcp/http-plain-calls.js';
import { SessionTransport } from '../../src/mcp/http-session-transport.js';

let http: Server;
let url: string;
let transport: SessionTransport;
let release: () => void;
let started: Promise<void>;

beforeEach(async () => {
  const server = new McpServer({ name: 't', version: '1' });
  trackReadOnlyTools(server);
  const gate = new Promise<void>((r) => (release = r));
  let began: () => void;
  started = new Promise((r) => (began = r));
  server.registerTool('slow', { annotations: { readOnlyHint: true } }, async () => {
    began();
    await gate;
    return { content: [{ type: 'text', text: 'done' }] };
  });
  transport = new SessionTransport(new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() }));
  await server.connect(transport);
  http = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      const body: unknown = JSON.parse(text);
      const plain = isJSONRPCRequest(body) && body.method !== 'initialize';
      void (plain ? transport.answerPlainly(req, res, body) : transport.sdk.handleRequest(req, res, body));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
  expect(init.status).toBe(200);
});

afterEach(async () => {
  release();
  await transport.close();
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

function post(message: unknown): Promise<{ status: number; body: string; contentType?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (transport.sessionId) headers['mcp-session-id'] = transport.sessionId;
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, contentType: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(message));
  });
}

const slowCall = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: {} } });

it('writes the answer as one JSON body', async () => {
  const answer = post(slowCall(1));
  await started;
  release();
  const r = await answer;
  expect(r.status).toBe(200);
  expect(r.contentType).toBe('application/json');
  expect(JSON.parse(r.body)).toMatchObject({ id: 1, result: { content: [{ type: 'text', text: 'done' }] } });
});

it('ends a cancelled request with 202 instead of holding its POST open', async () => {
  const answer = post(slowCall(2));
  await started;
  expect((await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2, reason: 'user' } })).status).toBe(202);
  const r = await answer;
  expect(r.status).toBe(202);
  expect(r.body).toBe('');
});

it('answers a waiting request with an error when the session closes', async () => {
  const answer = post(slowCall(3));
  await started;
  await transport.close();
  const r = await answer;
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ id: 3, error: { message: 'Session closed' } });
});
