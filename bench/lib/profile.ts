// Summary of a V8 CPU profile (`node --cpu-prof`): the functions with the most
// self time, to say where a missed target goes. Bench hubs write one when
// MESH_BENCH_CPU_PROF=<dir> is set.
//   node --import tsx bench/lib/profile.ts <file.cpuprofile> [top=20]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { printTable } from './report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  function: string;
  where: string;
  selfMs: number;
  selfShare: number;
}

/** Self time per function (summed over call sites), largest first, in ms. */
export function hotFunctions(profile: CpuProfile, top = 20): HotFunction[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { fn: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0; // a sample's weight is the gap to the next one
    const node = byNode.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${path.basename(url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '(native)';
    const key = `${functionName}@${where}`;
    const entry = selfUs.get(key) ?? { fn: functionName || '(anonymous)', where, us: 0 };
    entry.us += dt;
    total += dt;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.fn, where: e.where, selfMs: e.us / 1000, selfShare: total ? e.us / total : 0 }));
}

export async function summarizeProfile(file: string, top = 20): Promise<HotFunction[]> {
  return hotFunctions(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, top] = process.argv.slice(2);
  const rows = await summarizeProfile(file!, Number(top ?? 20));
  printTable(`self time, ${path.basename(file!)}`, rows.map((r) => ({ ...r, selfShare: `${(r.selfShare * 100).toFixed(1)} %` })));
}
