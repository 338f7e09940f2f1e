// The protocol version a request of an MCP HTTP session is served under.
// The SDK transport shapes SSE by the request's MCP-Protocol-Version header
// (priming events with an id and `retry`, which resumption needs, only for
// 2025-11-25 and later). A client states what it speaks once, at
// initialize; a later request naming an older version (some clients send a
// fixed one) is served under the version the session agreed on, never a
// newer one than that.
import type { IncomingMessage } from 'node:http';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';

const HEADER = 'mcp-protocol-version';

/** The version an initialize request gets: the one it asked for when supported, else the latest. Pure. */
export function negotiatedVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/**
 * The header value to serve a request under: `header` when absent,
 * unsupported (the SDK refuses it with 400) or not older than `negotiated`;
 * else `negotiated`. Versions are dates, so they compare as strings. Pure.
 */
export function effectiveVersion(header: string | undefined, negotiated: string): string | undefined {
  if (header === undefined || !SUPPORTED_PROTOCOL_VERSIONS.includes(header)) return header;
  return header < negotiated ? negotiated : header;
}

/** Rewrite the request's version header (both views Node.js keeps of it) when effectiveVersion says so. */
export function alignProtocolVersion(req: IncomingMessage, negotiated: string): void {
  const raw = req.headers[HEADER];
  const header = Array.isArray(raw) ? raw[0] : raw;
  const effective = effectiveVersion(header, negotiated);
  if (effective === header || effective === undefined) return;
  req.headers[HEADER] = effective;
  // The SDK's Node adapter reads rawHeaders: name, value, name, value...
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === HEADER) req.rawHeaders[i + 1] = effective;
}
