// What `npm start` prints on stderr: how to attach a node, and how to add
// this server to the common MCP hosts, with the bearer token they must send.
import type { HttpToken } from './mcp/http-token.js';

/** The lines that tell MCP hosts how to reach `url`, with the token header when there is one. */
export function mcpHostLines(url: string, token: HttpToken | undefined): string[] {
  if (!token) {
    return [
      'MCP over HTTP WITHOUT a token (--no-http-auth): every user of this machine can call every tool.',
      `Claude Code:     claude mcp add --transport http mesh ${url}`,
      `Cursor:          ~/.cursor/mcp.json -> { "mcpServers": { "mesh": { "url": "${url}" } } }`,
    ];
  }
  // A token the operator set in the environment is theirs: name it instead of echoing it.
  const shown = token.source === 'env' ? '$MESH_HTTP_TOKEN' : token.token;
  const where =
    token.source === 'env'
      ? 'MCP clients send the bearer token set in MESH_HTTP_TOKEN.'
      : `MCP clients send this bearer token (kept in ${token.file}${token.created ? ', generated now' : ''}; MESH_HTTP_TOKEN overrides it):`;
  return [
    where,
    ...(token.source === 'env' ? [] : [`  ${token.token}`]),
    `Claude Code:     claude mcp add --transport http mesh ${url} --header "Authorization: Bearer ${shown}"`,
    `Cursor:          ~/.cursor/mcp.json -> { "mcpServers": { "mesh": { "url": "${url}", "headers": { "Authorization": "Bearer ${shown}" } } } }`,
    `curl:            curl -H "Authorization: Bearer ${shown}" -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" \\`,
    `                   -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' ${url}`,
  ];
}

/** Where an operator looks: the status page (the token in its address, when it came from the file) and the CLI. */
export function operatorLines(mcpUrl: string, token: HttpToken | undefined): string[] {
  const base = mcpUrl.replace(/\/mcp$/, '');
  const page = !token ? `${base}/` : token.source === 'env' ? `${base}/?token=$MESH_HTTP_TOKEN` : `${base}/?token=${token.token}`;
  return [`Status page:     ${page}   (also ${base}/metrics, /healthz, /readyz; \`npx mesh-assistant status\` in a shell)`];
}

export function printQuickHelp(where: { grpc: string; http: string; token?: HttpToken }): void {
  const cli = 'npx mesh-assistant';
  const lines = [
    '',
    `Mesh Assistant hub is up. gRPC for nodes: ${where.grpc}   MCP (Streamable HTTP): ${where.http}`,
    '',
    'Attach a node (another terminal or machine):',
    `  MESH_NODE_TOKEN=<token> ${cli} node --hub ${where.grpc} --id laptop-1 --workspace ./ws --session demo`,
    `  (tokens: MESH_NODE_TOKENS='<token>@demo' for the hub, or \`${cli} token create --node laptop-1 --sessions demo\`)`,
    '',
    ...mcpHostLines(where.http, where.token),
    ...operatorLines(where.http, where.token),
    'Claude Desktop:  install the .mcpb bundle (npm run bundle), or in claude_desktop_config.json:',
    '                 { "mcpServers": { "mesh": { "command": "npx", "args": ["mesh-assistant", "hub", "--stdio"] } } }',
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}
