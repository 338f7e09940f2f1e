// What `npm start` prints on stderr: how to attach a node, and how to add
// this server to the common MCP hosts.
export function printQuickHelp(where: { grpc: string; http: string }): void {
  const cli = 'npx mesh-assistant';
  const lines = [
    '',
    `Mesh Assistant hub is up. gRPC for nodes: ${where.grpc}   MCP (Streamable HTTP): ${where.http}`,
    '',
    'Attach a node (another terminal or machine):',
    `  MESH_NODE_TOKEN=<token> ${cli} node --hub ${where.grpc} --id laptop-1 --workspace ./ws --session demo`,
    `  (tokens: set MESH_NODE_TOKENS=<token> for the hub, or run \`${cli} token create\`)`,
    '',
    'Claude Code:     claude mcp add --transport http mesh ' + where.http,
    `Cursor:          ~/.cursor/mcp.json -> { "mcpServers": { "mesh": { "url": "${where.http}" } } }`,
    'Claude Desktop:  install the .mcpb bundle (npm run bundle), or in claude_desktop_config.json:',
    '                 { "mcpServers": { "mesh": { "command": "npx", "args": ["mesh-assistant", "hub", "--stdio"] } } }',
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}
