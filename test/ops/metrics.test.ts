// The metrics registry on its own: node labels stay capped however many node
// ids send data, and what Prometheus reads parses and adds up.
import { expect, it } from 'vitest';
import { MeshMetrics } from '../../src/ops/metrics.js';
import { parsePromText } from '../support/prom-text.js';

it('caps node labels: 500 node ids make at most 10 + 1 series, and no byte is lost', async () => {
  const metrics = new MeshMetrics({ maxNodeLabels: 10 });
  for (let i = 0; i < 500; i++) metrics.bytesSent(`node-${i}<script>"\\`, 1000);
  const m = parsePromText((await metrics.render()).body);
  const series = [...m.samples.keys()].filter((k) => k.startsWith('mesh_bytes_sent_total{'));
  expect(series).toHaveLength(11);
  expect(m.get('mesh_bytes_sent_total{node="_other"}')).toBe(490 * 1000);
  expect(series.reduce((sum, k) => sum + m.get(k), 0)).toBe(500 * 1000);
});

it('reads gauges from the hub at scrape time, one status per scrape', async () => {
  const metrics = new MeshMetrics();
  let reads = 0;
  metrics.bind({
    status: () => ({
      read: reads++,
      sessions: [{ name: 'a' }, { name: 'b' }],
      online: ['n1'],
      transfers: [{ nodes: [{ state: 'done' }, { state: 'pending' }, { state: 'pending' }] }],
      eventLoopDelayMs: { p50: 1, p99: 20, max: 40 },
    }),
    storeErrors: () => 3,
  });
  const m = parsePromText((await metrics.render()).body);
  expect(m.get('mesh_sessions')).toBe(2);
  expect(m.get('mesh_nodes_attached')).toBe(1);
  expect(m.get('mesh_transfers_running')).toBe(1);
  expect(m.get('mesh_transfer_deliveries{state="pending"}')).toBe(2);
  expect(m.get('mesh_transfer_deliveries{state="done"}')).toBe(1);
  expect(m.get('mesh_event_loop_delay_seconds{quantile="0.99"}')).toBe(0.02);
  expect(m.get('mesh_store_errors_total')).toBe(3);
  expect(reads).toBe(1);
  await metrics.render();
  expect(reads).toBe(2);
});
