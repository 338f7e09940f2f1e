// The first-run lines tell each MCP host how to send the bearer token, and
// where the token is kept; a token from the environment is named, not echoed.
import { expect, it } from 'vitest';
import { mcpHostLines, operatorLines } from '../src/quick-help.js';

const url = 'http://127.0.0.1:7421/mcp';

it('shows the generated token, where it is kept, and the header for each host', () => {
  const text = mcpHostLines(url, { token: 'mesh_http_abc', source: 'file', file: '/d/http-token', created: true }).join('\n');
  expect(text).toContain('kept in /d/http-token');
  expect(text).toContain(`claude mcp add --transport http mesh ${url} --header "Authorization: Bearer mesh_http_abc"`);
  expect(text).toContain('"headers": { "Authorization": "Bearer mesh_http_abc" }');
  expect(text).toMatch(/curl -H "Authorization: Bearer mesh_http_abc"/);
});

it('names MESH_HTTP_TOKEN instead of printing it', () => {
  const text = mcpHostLines(url, { token: 'operator-secret', source: 'env', file: '/d/http-token', created: false }).join('\n');
  expect(text).not.toContain('operator-secret');
  expect(text).toContain('Bearer $MESH_HTTP_TOKEN');
});

it('warns loudly when there is no token', () => {
  expect(mcpHostLines(url, undefined)[0]).toMatch(/WITHOUT a token \(--no-http-auth\)/);
});

it('points at the status page, with the token in its address only when it came from the file', () => {
  expect(operatorLines(url, { token: 'mesh_http_abc', source: 'file', file: '/d/http-token', created: false })[0]).toContain('http://127.0.0.1:7421/?token=mesh_http_abc');
  const fromEnv = operatorLines(url, { token: 'operator-secret', source: 'env', file: '/d/http-token', created: false })[0]!;
  expect(fromEnv).not.toContain('operator-secret');
  expect(fromEnv).toContain('/?token=$MESH_HTTP_TOKEN');
});
