// The one place where tool outcomes become MCP results: a success carries
// structured content plus a short text; any thrown error becomes an
// `isError` result the model can read and act on ("CODE: message. hint").
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { toMeshError } from '../errors.js';
import type { Logger } from '../log.js';

/** `_meta` key under which an error result carries its code, message, hint and details. */
export const ERROR_META_KEY = 'mesh-assistant/error';

export interface ToolOutput<T extends Record<string, unknown>> {
  structured: T;
  text: string;
  /** Content blocks after the text (images, embedded resources). */
  content?: CallToolResult['content'];
}

export function toolSuccess<T extends Record<string, unknown>>({ structured, text, content = [] }: ToolOutput<T>): CallToolResult {
  return { content: [{ type: 'text', text }, ...content], structuredContent: structured };
}

/**
 * An error as a tool result. No `structuredContent` here: SDK clients check
 * any structured content against the tool's output schema, even on error
 * results, so the machine-readable error travels in `_meta` instead.
 */
export function toolError(err: unknown): CallToolResult {
  const e = toMeshError(err);
  const message = e.message.endsWith('.') ? e.message : `${e.message}.`;
  return {
    content: [{ type: 'text', text: `${e.code}: ${message} ${e.hint}` }],
    isError: true,
    _meta: { [ERROR_META_KEY]: { code: e.code, message: e.message, hint: e.hint, details: e.details } },
  };
}

/** Run a tool body; failures become `isError` results, unexpected ones are logged. */
export async function runTool<T extends Record<string, unknown>>(tool: string, log: Logger, body: () => Promise<ToolOutput<T>>): Promise<CallToolResult> {
  try {
    return toolSuccess(await body());
  } catch (err) {
    const e = toMeshError(err);
    if (e.code === 'INTERNAL') log.error({ tool, err: err instanceof Error ? err.stack : String(err) }, 'tool failed unexpectedly');
    else log.debug({ tool, code: e.code, err: e.message }, 'tool call refused');
    return toolError(e);
  }
}
