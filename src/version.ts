// The version a node agent announces in its hello and the MCP server gives in
// `initialize`. A module of its own so that the CLI can print it without
// loading the agent.
export const AGENT_VERSION = '0.1.0';
