// Output of benchmark runs: aligned tables on stdout, JSON results with the
// machine they ran on, and small self-contained SVG bar charts beside them.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDirDurable, writeFileDurable } from '../../src/mesh/fs/durable.js';

/** Folder that holds `<scenario>.json` and its charts. */
export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return String(cell);
    return Number.isInteger(cell) ? String(cell) : cell.toFixed(Math.abs(cell) >= 100 ? 0 : 2);
  }
  return String(cell);
}

/** Render rows as an aligned text table; numbers are right-aligned. */
export function formatTable(title: string, rows: Row[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => show(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || r[c] === null || typeof r[c] === 'number'));
  const line = (values: string[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`== ${title}`];
  if (rows.length === 0) return `${out[0]}\n(no rows)\n`;
  out.push(line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line));
  return `${out.join('\n')}\n`;
}

/** Print a table on stdout (bench scripts own their stdout; the MCP server never runs here). */
export function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${formatTable(title, rows)}`);
}

/** The machine a figure was measured on, stored with every result. */
export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

/**
 * Write `bench/results/<scenario>.json` with the date and the machine.
 * @returns the file written
 */
export async function writeResult(scenario: string, data: unknown, dir = RESULTS_DIR): Promise<string> {
  await ensureDirDurable(dir);
  const file = path.join(dir, `${scenario}.json`);
  const body = { scenario, date: new Date().toISOString(), machine: machineInfo(), data };
  await writeFileDurable(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

/** a / b, or NaN when b is 0 (a ratio against an empty baseline means nothing). */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

/** A ratio as text, e.g. "1.23x". */
export function formatRatio(a: number, b: number, digits = 2): string {
  const r = ratio(a, b);
  return Number.isFinite(r) ? `${r.toFixed(digits)}x` : 'n/a';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units, e.g. 1536 -> "1.50 KiB". */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${UNITS[u]}`;
}

/** Bytes per second to MiB/s, the unit the tables use for throughput. */
export function mibPerSecond(bytesPerSecond: number): number {
  return bytesPerSecond / (1024 * 1024);
}

/** Value at quantile q (0..1) of the samples, nearest-rank method. */
export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export { writeBarChartSvg, renderBarChartSvg, type BarChart, type BarSeries } from './chart.js';
