// Errors the SDK raises before a tool runs (argument validation, unknown
// tool) in our "CODE: message. hint" form, so an LLM reads the same shape
// whatever refused its call. The SDK turns them into isError results
// through McpServer's createToolError, which is where they are rewritten.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MeshError } from '../errors.js';
import { toolError } from './tool-result.js';

const INVALID_ARGS = /Input validation error: Invalid arguments for tool ([^:]+): ([\s\S]*)$/;
const UNKNOWN_TOOL = /Tool (\S+) (not found|disabled)$/;
const TOO_MANY_ELEMENTS = /Invalid arguments for tool ([^:]+): (arguments contain more than [\s\S]*)$/;

/** One validation line ("Required at offset") as "`offset`: Required"; an issue without a path stays as it is. */
function argumentIssue(line: string): string {
  const m = /^(.*) at ([A-Za-z0-9_.[\]-]+)$/.exec(line.trim());
  return m ? `\`${m[2]}\`: ${m[1]}` : line.trim();
}

/** The MeshError an SDK tool-call error message stands for; undefined when it is not one we know. Pure. */
export function sdkToolError(message: string): MeshError | undefined {
  const invalid = INVALID_ARGS.exec(message);
  if (invalid) {
    const issues = invalid[2]!.split('\n').filter((l) => l.trim() !== '').map(argumentIssue);
    return new MeshError('INVALID_ARGUMENT', `invalid arguments for \`${invalid[1]}\`: ${issues.join('; ')}`, { tool: invalid[1], issues });
  }
  const many = TOO_MANY_ELEMENTS.exec(message);
  if (many) return new MeshError('INVALID_ARGUMENT', `invalid arguments for \`${many[1]}\`: ${many[2]}`, { tool: many[1] });
  const unknown = UNKNOWN_TOOL.exec(message);
  if (unknown) return new MeshError('INVALID_ARGUMENT', `no tool named "${unknown[1]}"`, { tool: unknown[1], hint: 'Call tools/list to see the tools.' });
  return undefined;
}

/** Make `server` answer SDK-side tool-call failures in our error form. */
export function rewriteSdkToolErrors(server: McpServer): void {
  const target = server as unknown as { createToolError(message: string): CallToolResult };
  const original = target.createToolError.bind(server);
  target.createToolError = (message: string) => {
    const known = sdkToolError(message);
    return known ? toolError(known) : original(message);
  };
}
