// The one order of paths both sides of a manifest agree on: Unicode code
// points, which is also the byte order of UTF-8 (SQLite's BINARY collation,
// used by the node's index). JavaScript's `<` compares UTF-16 code units and
// disagrees with it for characters above U+FFFF, so pages of a manifest that
// one side sorted and the other checks must use this function.

/** Negative, zero or positive as `a` sorts before, with or after `b` by code point. */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800-DFFF) stand for code points above U+FFFF: they sort after every other unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
