// Plain-text tables for operator commands (kubectl's look): a header row,
// columns padded to their widest cell, two spaces apart. Pure.
import { formatBytes } from '../byte-sizes.js';

/** Longest cell shown, characters; longer ones end in "...". */
export const MAX_CELL_CHARS = 60;

function cell(value: unknown): string {
  // Security: a node id or path could carry terminal escape sequences; control characters are shown as "?".
  // eslint-disable-next-line no-control-regex
  const text = String(value ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 3)}...` : text;
}

export function formatTable(headers: string[], rows: unknown[][]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => headers.map((_, i) => cell(r[i])))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Bytes as a short size for tables: 0 B, 512 B, 1.5 KiB, 3.2 GiB. */
export function shortBytes(n: number): string {
  return formatBytes(n, 'table');
}

/** A progress bar of `width` cells for done/total, e.g. "[#####.....]  50%". */
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}
