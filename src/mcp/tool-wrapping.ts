// One way to put something around every tool an McpServer registers (schema
// checks, watching a call's session, audit and metrics): each layer gives a
// function that may change a tool's config and wrap its callback, and this
// module is the only place that replaces the server's registerTool. Layers
// added later sit outside the earlier ones.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** A tool callback as the SDK calls it: (args, extra) with an input schema, (extra) without. */
export type ToolCallback = (...params: unknown[]) => unknown;

export interface ToolConfig {
  inputSchema?: unknown;
  outputSchema?: unknown;
  [key: string]: unknown;
}

export type ToolLayer = (name: string, config: ToolConfig, cb: ToolCallback) => { config: ToolConfig; cb: ToolCallback };

type Register = (name: string, config: ToolConfig, cb: ToolCallback) => ReturnType<McpServer['registerTool']>;

/** From now on, every tool registered on `server` goes through `layer` first. Call before the tools are registered. */
export function addToolLayer(server: McpServer, layer: ToolLayer): void {
  const register = server.registerTool.bind(server) as unknown as Register;
  const layered: Register = (name, config, cb) => {
    const next = layer(name, config, cb);
    return register(name, next.config, next.cb);
  };
  (server as unknown as { registerTool: Register }).registerTool = layered;
}
