// Binary file content as MCP content blocks, for `cat` in text mode: a whole
// image (PNG, JPEG, GIF, WebP, recognised by its leading bytes) as image
// content a model can look at; anything else binary as an embedded resource
// (a blob with its media type), never as mangled text.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sniffMediaType } from './content-encoding.js';

const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export interface BinaryBlock {
  kind: 'image' | 'resource';
  mediaType: string;
  block: CallToolResult['content'][number];
}

/**
 * The block for `data` read from `offset` of a `size`-byte file. Only a
 * whole image becomes image content; part of one is a resource like any
 * other binary window.
 */
export function binaryBlock(data: Buffer, offset: number, size: number, uri: string): BinaryBlock {
  const mediaType = sniffMediaType(data, offset === 0);
  const whole = offset === 0 && data.length === size;
  if (whole && IMAGE_TYPES.has(mediaType)) return { kind: 'image', mediaType, block: { type: 'image', data: data.toString('base64'), mimeType: mediaType } };
  return { kind: 'resource', mediaType, block: { type: 'resource', resource: { uri, mimeType: mediaType, blob: data.toString('base64') } } };
}
