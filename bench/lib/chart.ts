// Horizontal bar charts as hand-written SVG, so a result can be looked at in a
// browser or a README without any plotting dependency.
import { writeFileDurable } from '../../src/mesh/fs/durable.js';

export interface BarSeries {
  label: string;
  value: number;
  /** Drawn in grey: a figure we compare against, not one of ours. */
  baseline?: boolean;
}

export interface BarChart {
  title: string;
  /** Unit printed after each value, e.g. "MiB/s" or "ms". */
  unit: string;
  series: BarSeries[];
}

const WIDTH = 720;
const LABEL_W = 220;
const VALUE_W = 110;
const BAR_H = 22;
const GAP = 8;
const TOP = 44;
const OURS = '#1a73e8';
const BASELINE = '#9aa0a6';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** The SVG text of a bar chart; bars scale to the largest finite, positive value. */
export function renderBarChartSvg(chart: BarChart): string {
  const drawn = chart.series.map((s) => (Number.isFinite(s.value) && s.value > 0 ? s.value : 0));
  const max = Math.max(...drawn, 0) || 1;
  const plotW = WIDTH - LABEL_W - VALUE_W - 20;
  const height = TOP + chart.series.length * (BAR_H + GAP) + 30;
  const bars = chart.series.map((s, i) => {
    const y = TOP + i * (BAR_H + GAP);
    const w = Math.max(1, Math.round((drawn[i]! / max) * plotW));
    const mid = y + BAR_H / 2 + 4;
    const valueText = escapeXml(`${formatValue(s.value)} ${chart.unit}`);
    return [
      `  <text x="${LABEL_W - 8}" y="${mid}" text-anchor="end">${escapeXml(s.label)}</text>`,
      `  <rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" fill="${s.baseline ? BASELINE : OURS}"><title>${escapeXml(s.label)}: ${valueText}</title></rect>`,
      `  <text x="${LABEL_W + w + 6}" y="${mid}">${valueText}</text>`,
    ].join('\n');
  });
  // Legend only for the kinds of bar actually drawn.
  const legendY = height - 10;
  const kinds = [
    { present: chart.series.some((s) => !s.baseline), fill: OURS, text: 'Mesh Assistant' },
    { present: chart.series.some((s) => s.baseline), fill: BASELINE, text: 'baseline' },
  ].filter((k) => k.present);
  const legend = kinds.map((k, i) => {
    const x = LABEL_W + i * 140;
    return `  <rect x="${x}" y="${legendY - 10}" width="10" height="10" fill="${k.fill}"/>\n  <text x="${x + 14}" y="${legendY}">${k.text}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">`,
    `  <rect width="100%" height="100%" fill="#ffffff"/>`,
    `  <text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
    ...bars,
    ...legend,
    `</svg>`,
    '',
  ].join('\n');
}

/** Write the chart to `file` (conventionally `bench/results/<scenario>.svg`). */
export async function writeBarChartSvg(file: string, chart: BarChart): Promise<void> {
  await writeFileDurable(file, renderBarChartSvg(chart));
}
