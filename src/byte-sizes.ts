// Byte counts as people read them, in binary units: one rule for every place
// that prints a size (tool results, operators' tables, the demo).

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/**
 * `n` bytes in the largest binary unit that keeps the number at least 1.
 * 'prose' (tool results): "512 bytes", "1.5 MiB", "12 MiB" (one decimal below 10).
 * 'table' (fixed-width columns): "512 B", "1.5 KiB", "12.0 MiB" (always one decimal).
 */
export function formatBytes(n: number, style: 'prose' | 'table' = 'prose'): string {
  let unit = -1;
  let v = n;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  if (unit < 0) return style === 'table' ? `${n} B` : `${n} bytes`;
  return `${v.toFixed(style === 'table' || v < 10 ? 1 : 0)} ${UNITS[unit]}`;
}
