// Entry of `npm run bench`: runs the scenarios in bench/scenarios one after
// another; a failing scenario is reported and the others still run.
//   npm run bench                      every scenario, full size
//   npm run bench -- --quick           every scenario, small sizes
//   npm run bench -- fan-out isolation only the named scenarios
//   npm run bench -- --list            names and descriptions
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MeshError } from '../src/errors.js';
import { printTable } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';

const SCENARIO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

function isScenario(value: unknown): value is Scenario {
  const m = value as Partial<Scenario>;
  return typeof m?.name === 'string' && typeof m.describe === 'string' && typeof m.run === 'function';
}

async function loadScenarios(): Promise<Scenario[]> {
  const files = (await readdir(SCENARIO_DIR)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  const out: Scenario[] = [];
  for (const f of files) {
    const mod: unknown = await import(pathToFileURL(path.join(SCENARIO_DIR, f)).href);
    if (!isScenario(mod)) throw new MeshError('INVALID_ARGUMENT', `bench/scenarios/${f} must export name, describe and run({ quick })`);
    out.push(mod);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const all = await loadScenarios();
  if (argv.includes('--list')) {
    printTable('scenarios', all.map((s) => ({ name: s.name, describe: s.describe })));
    return 0;
  }
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length > 0 ? all.filter((s) => names.includes(s.name)) : all;
  const summary: Array<{ scenario: string; outcome: string; seconds: number }> = [];
  for (const s of selected) {
    process.stdout.write(`\n### ${s.name}${quick ? ' (quick)' : ''}: ${s.describe}\n`);
    const started = performance.now();
    let outcome = 'ok';
    try {
      await s.run({ quick });
    } catch (err) {
      outcome = 'FAILED';
      process.stderr.write(`scenario ${s.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    summary.push({ scenario: s.name, outcome, seconds: (performance.now() - started) / 1000 });
  }
  printTable('summary', summary);
  return summary.some((r) => r.outcome !== 'ok') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
