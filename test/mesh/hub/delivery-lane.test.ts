// A node's delivery lane: bounded concurrency, one delivery of a given file
// at a time (last writer wins), and a re-enqueue while running runs again.
import { expect, it } from 'vitest';
import { DeliveryLane, LANE_CONCURRENCY } from '../../../src/mesh/hub/delivery-lane.js';

function controllable() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const run = (_node: string, id: string) =>
    new Promise<void>((resolve) => {
      started.push(id);
      finishers.set(id, resolve);
    });
  const finish = async (id: string) => {
    finishers.get(id)!();
    await new Promise((r) => setImmediate(r));
  };
  return { started, finish, run };
}

it('runs at most LANE_CONCURRENCY deliveries at once, in order', async () => {
  const c = controllable();
  const lane = new DeliveryLane('n', c.run);
  for (const id of ['t1', 't2', 't3', 't4']) lane.enqueue(id, id);
  expect(c.started).toEqual(['t1', 't2'].slice(0, LANE_CONCURRENCY));
  await c.finish('t1');
  expect(c.started).toEqual(['t1', 't2', 't3']);
  lane.enqueue('t3', 't3'); // already queued or running: not duplicated now
  await c.finish('t2');
  await c.finish('t3');
  await c.finish('t4');
  // t3 was re-enqueued while running, so it runs once more after.
  expect(c.started).toEqual(['t1', 't2', 't3', 't4', 't3']);
});

it('never runs two deliveries of the same file at once', async () => {
  const c = controllable();
  const lane = new DeliveryLane('n', c.run);
  lane.enqueue('old', 'demo\0a.txt');
  lane.enqueue('new', 'demo\0a.txt');
  lane.enqueue('other', 'demo\0b.txt');
  expect(c.started).toEqual(['old', 'other']);
  await c.finish('old');
  expect(c.started).toEqual(['old', 'other', 'new']);
});
