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
import { keepHeapSmall, withDeliveryHeap } from ${JSON.stringify(MODULE)};
const mode = process.argv[1];
if (mode !== 'defaults') keepHeapSmall();
const burst = async () => {
  let kept = [];
  for (let i = 0; i < 1.5e6; i++) {
    kept.push({ path: 'd' + (i % 1000) + '/f' + i, size: i, parts: [i, i + 1] });
    if (kept.length > 20000) kept = [];
  }
};
if (mode === 'during-delivery') await withDeliveryHeap(burst);
else if (mode === 'after-delivery') {
  await withDeliveryHeap(async () => {});
  await burst();
} else await burst();
const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
process.stdout.write(String(young));
`;

type Mode = 'defaults' | 'apply' | 'during-delivery' | 'after-delivery';

async function youngGenerationAfterBurst(mode: Mode): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', BURST, mode], { timeout: 60_000 });
  return Number(stdout);
}

describe('node heap budget', () => {
  it('keeps the young generation at its initial size through a burst, where the defaults grow it', async () => {
    const [defaults, applied] = await Promise.all([youngGenerationAfterBurst('defaults'), youngGenerationAfterBurst('apply')]);
    expect(defaults).toBeGreaterThan(4 * 1024 * 1024);
    expect(applied).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 90_000);

  it("lets a delivery grow it as V8's defaults would, and keeps it small again once deliveries end", async () => {
    const [during, after] = await Promise.all([youngGenerationAfterBurst('during-delivery'), youngGenerationAfterBurst('after-delivery')]);
    expect(during).toBeGreaterThan(4 * 1024 * 1024);
    expect(after).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 90_000);
});
