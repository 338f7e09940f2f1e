// Bytes <-> tool text: strict base64 decoding for `write`, and the text/binary
// decision for `cat` (a read window may cut a UTF-8 character at either end).
// Pure functions, property-tested.
import { MeshError } from '../errors.js';

export type ContentEncoding = 'utf8' | 'base64';

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decode tool input. base64 is checked strictly: whitespace is ignored, and
 * the text must survive a decode/encode round trip (modulo padding), so
 * stray characters, base64url or truncated input never turn silently into
 * different bytes.
 */
export function decodeContent(content: string, encoding: ContentEncoding = 'utf8'): Buffer {
  if (encoding === 'utf8') return Buffer.from(content, 'utf8');
  const compact = content.replace(/\s+/g, '');
  const data = Buffer.from(compact, 'base64');
  if (!BASE64_RE.test(compact) || data.toString('base64').replace(/=+$/, '') !== compact.replace(/=+$/, '')) {
    throw new MeshError('INVALID_ENCODING', 'content is not valid base64', { encoding });
  }
  return data;
}

export interface TextWindow {
  text: string;
  /** Continuation bytes skipped at the start (the window began inside a character). */
  skippedHead: number;
  /** Bytes of an incomplete last character left out (read them from the next offset). */
  droppedTail: number;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/** Byte length a UTF-8 sequence announces by its lead byte (0 for a non-lead byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) === 0xc0) return 2;
  if ((lead & 0xf0) === 0xe0) return 3;
  if ((lead & 0xf8) === 0xf0) return 4;
  return 0;
}

/**
 * The text of a read window, or undefined when the bytes are binary (a NUL
 * byte, or invalid UTF-8). `midFile` says the window does not start at byte
 * 0, `more` that the file goes on after it: only then may a character cut by
 * the window's edge be trimmed instead of counting as invalid.
 */
export function decodeTextWindow(data: Uint8Array, options: { midFile: boolean; more: boolean }): TextWindow | undefined {
  if (data.includes(0)) return undefined;
  let head = 0;
  if (options.midFile) while (head < 3 && isContinuation(data[head])) head++;
  let tail = 0;
  if (options.more) {
    // Look back at most 3 bytes for the lead byte of an unfinished character.
    for (let back = 1; back <= Math.min(4, data.length - head); back++) {
      const b = data[data.length - back]!;
      if (isContinuation(b)) continue;
      // Never trim the whole window: a caller would be sent back to the same offset.
      if (sequenceLength(b) > back && data.length - head > back) tail = back;
      break;
    }
  }
  const text = decodeUtf8(data.subarray(head, data.length - tail));
  return text === undefined ? undefined : { text, skippedHead: head, droppedTail: tail };
}

const SIGNATURES: Array<[string, number[], number?]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
  ['application/gzip', [0x1f, 0x8b]],
  ['application/wasm', [0x00, 0x61, 0x73, 0x6d]],
  ['application/x-elf', [0x7f, 0x45, 0x4c, 0x46]],
];

/**
 * A media type for bytes read from offset 0, by their leading signature;
 * text/plain for valid UTF-8, application/octet-stream otherwise. Windows
 * from the middle of a file carry no signature and are octet-stream.
 */
export function sniffMediaType(data: Uint8Array, atStart: boolean): string {
  if (atStart) {
    for (const [type, sig] of SIGNATURES) if (data.length >= sig.length && sig.every((b, i) => data[i] === b)) return type;
    if (data.length >= 12 && Buffer.from(data.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(data.subarray(8, 12)).toString('latin1') === 'WEBP') {
      return 'image/webp';
    }
  }
  return decodeTextWindow(data, { midFile: !atStart, more: true }) ? 'text/plain' : 'application/octet-stream';
}
