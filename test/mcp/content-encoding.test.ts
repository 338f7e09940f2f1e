// Strict base64 for `write` and the text/binary decision for `cat` windows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent, decodeTextWindow, sniffMediaType } from '../../src/mcp/content-encoding.js';
import { MeshError } from '../../src/errors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof MeshError ? err.code : 'other';
  }
};

describe('decodeContent', () => {
  it('round-trips any bytes through base64, with or without padding and line breaks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, wrap) => {
        let b64 = Buffer.from(bytes).toString('base64');
        if (wrap) b64 = b64.replace(/(.{76})/g, '$1\n');
        expect(decodeContent(b64, 'base64').equals(Buffer.from(bytes))).toBe(true);
        expect(decodeContent(b64.replace(/=+$/, ''), 'base64').equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('refuses text that is not canonical base64', () => {
    for (const bad of ['not base64!', 'abc$', 'ab=c', 'a', 'abcde', '-_-_', 'YQ==YQ==', 'YR==']) {
      expect(code(() => decodeContent(bad, 'base64')), bad).toBe('INVALID_ENCODING');
    }
  });

  it('passes utf8 through unchanged', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(decodeContent(s).equals(Buffer.from(s, 'utf8'))).toBe(true);
      }),
    );
  });
});

describe('decodeTextWindow', () => {
  it('treats NUL bytes and invalid UTF-8 as binary', () => {
    expect(decodeTextWindow(Buffer.from('a\0b'), { midFile: false, more: false })).toBeUndefined();
    expect(decodeTextWindow(Buffer.from([0xff, 0xfe, 0x41]), { midFile: false, more: false })).toBeUndefined();
    expect(decodeTextWindow(Buffer.from([0xc3]), { midFile: false, more: false })).toBeUndefined();
  });

  it('reading any text in windows of any size reassembles it exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 4, max: 17 }), (text, size) => {
        const bytes = Buffer.from(text, 'utf8');
        let offset = 0;
        let out = '';
        for (let guard = 0; offset < bytes.length && guard < 1000; guard++) {
          const window = bytes.subarray(offset, offset + size);
          const w = decodeTextWindow(window, { midFile: offset > 0, more: offset + window.length < bytes.length });
          expect(w).toBeDefined();
          expect(w!.skippedHead).toBe(0); // windows that start where the last ended start on a boundary
          out += w!.text;
          const used = window.length - w!.droppedTail;
          expect(used).toBeGreaterThan(0);
          offset += used;
        }
        expect(out).toBe(text);
      }),
    );
  });

  it('skips the tail of a character cut at the window start', () => {
    const bytes = Buffer.from('éa', 'utf8'); // c3 a9 61
    expect(decodeTextWindow(bytes.subarray(1), { midFile: true, more: false })).toEqual({ text: 'a', skippedHead: 1, droppedTail: 0 });
  });
});

describe('sniffMediaType', () => {
  it('names common signatures, text and unknown bytes', () => {
    expect(sniffMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), true)).toBe('image/png');
    expect(sniffMediaType(Buffer.from('%PDF-1.7'), true)).toBe('application/pdf');
    expect(sniffMediaType(Buffer.from('hello'), true)).toBe('text/plain');
    expect(sniffMediaType(Buffer.from([0, 1, 2, 0xff]), true)).toBe('application/octet-stream');
    expect(sniffMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), false)).toBe('application/octet-stream');
  });
});
