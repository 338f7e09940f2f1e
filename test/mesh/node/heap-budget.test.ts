// The node agent's heap settings take effect when applied at run time: under
// the churn of a burst (many short-lived objects, some kept a while, as a
// scan makes them) the young generation stays at its initial size, where a
// process without them grows it. Run in child processes: the flags are
// process-wide.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/mesh/node/heap-budget.ts');

const BURST = `
import v8 from 'node:v8';
import { keepHeapSmall } from ${JSON.stringify(MODULE)};
if (process.argv[1] === 'apply') keepHeapSmall();
let kept = [];
for (let i = 0; i < 1.5e6; i++) {
  kept.push({ path: 'd' + (i % 1000) + '/f' + i, size: i, parts: [i, i + 1] });
  if (kept.length > 20000) kept = [];
}
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
process.stdout.write(String(young));
`;

async function youngGenerationAfterBurst(apply: boolean): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BURST, apply ? 'apply' : 'defaults'], { timeout: 60_000 });
  return Number(stdout);
}

describe('node heap budget', () => {
  it('keeps the young generation at its initial size through a burst, where the defaults grow it', async () => {
    const [defaults, applied] = await Promise.all([youngGenerationAfterBurst(false), youngGenerationAfterBurst(true)]);
    expect(defaults).toBeGreaterThan(4 * 1024 * 1024);
    expect(applied).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 90_000);
});
