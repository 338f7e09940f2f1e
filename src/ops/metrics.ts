// Prometheus metrics of one hub, in their own registry (several hubs may run
// in one process, e.g. in tests). Counters and histograms are fed by the hub
// as it works (HubObserver) and by the MCP layer (tool calls); gauges are
// read from the hub's status when Prometheus scrapes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HubObserver } from '../mesh/hub/hub-options.js';
import { BoundedLabels } from './bounded-labels.js';

/** What the gauges are read from at scrape time; the hub provides it once started. */
export interface MetricsSource {
  status(): {
    sessions: Array<{ name: string }>;
    online: string[];
    transfers: Array<{ nodes: Array<{ state: 'pending' | 'done' | 'failed' }> }>;
    eventLoopDelayMs: { p50: number; p99: number; max: number };
  };
  storeErrors(): number;
}

export interface ToolCallOutcome {
  tool: string;
  /** `ok`, or the error code of a failed call. */
  outcome: string;
  durationMs: number;
}

/** Upper bounds of the chunk latency buckets, seconds: from a cache hit to a slow disk. */
const CHUNK_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const TOOL_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120];

export class MeshMetrics implements HubObserver {
  readonly registry = new Registry();
  private source: MetricsSource | undefined;
  /** The hub's status during one scrape; cleared when the scrape ends. */
  private snapshot: ReturnType<MetricsSource['status']> | undefined;
  private readonly nodes: BoundedLabels;
  private readonly tools: BoundedLabels;
  private readonly outcomes = new BoundedLabels(64);
  private readonly bytesSentTotal: Counter<'node'>;
  private readonly chunkSeconds: Histogram;
  private readonly toolCalls: Counter<'tool' | 'outcome'>;
  private readonly toolSeconds: Histogram<'tool'>;

  /** @param maxNodeLabels distinct node ids reported by name; the rest are summed under `_other`. */
  constructor(options: { maxNodeLabels?: number; maxToolLabels?: number } = {}) {
    this.nodes = new BoundedLabels(options.maxNodeLabels);
    this.tools = new BoundedLabels(options.maxToolLabels ?? 32);
    const registers = [this.registry];
    // Process figures (CPU, memory, GC, file descriptors) under the usual process_ and nodejs_ names.
    collectDefaultMetrics({ register: this.registry });
    // One status per scrape, shared by the gauges (the hub builds it afresh on every call).
    const read = () => (this.snapshot ??= this.source?.status());
    new Gauge({
      name: 'mesh_nodes_attached',
      help: 'Node agents attached to this hub right now',
      registers,
      collect() {
        this.set(read()?.online.length ?? 0);
      },
    });
    new Gauge({
      name: 'mesh_sessions',
      help: 'Sessions known to this hub',
      registers,
      collect() {
        this.set(read()?.sessions.length ?? 0);
      },
    });
    new Gauge({
      name: 'mesh_transfer_deliveries',
      help: 'Deliveries of running transfers (one per transfer and target node), by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = { pending: 0, done: 0, failed: 0 };
        for (const t of read()?.transfers ?? []) for (const n of t.nodes) counts[n.state]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'mesh_transfers_running',
      help: 'Transfers not yet confirmed by every target',
      registers,
      collect() {
        this.set(read()?.transfers.length ?? 0);
      },
    });
    new Gauge({
      name: 'mesh_event_loop_delay_seconds',
      help: 'Event-loop delay of the hub since it started, by quantile',
      labelNames: ['quantile'],
      registers,
      collect() {
        const d = read()?.eventLoopDelayMs;
        if (!d) return;
        this.set({ quantile: '0.5' }, d.p50 / 1000);
        this.set({ quantile: '0.99' }, d.p99 / 1000);
        this.set({ quantile: '1' }, d.max / 1000);
      },
    });
    const storeErrors = () => this.source?.storeErrors() ?? 0;
    new Counter({
      name: 'mesh_store_errors_total',
      help: 'Store reads and writes that failed',
      registers,
      collect() {
        this.reset();
        this.inc(storeErrors());
      },
    });
    this.bytesSentTotal = new Counter({
      name: 'mesh_bytes_sent_total',
      help: 'Transfer bytes put on the wire, by target node (node ids past the label cap are summed under "_other")',
      labelNames: ['node'],
      registers,
    });
    this.chunkSeconds = new Histogram({
      name: 'mesh_chunk_fetch_seconds',
      help: 'Time to have a piece of a chunk ready for a node\'s Fetch stream (read from the staged data, encoding)',
      buckets: CHUNK_BUCKETS,
      registers,
    });
    this.toolCalls = new Counter({ name: 'mesh_tool_calls_total', help: 'MCP tool calls, by tool and outcome (ok or an error code)', labelNames: ['tool', 'outcome'], registers });
    this.toolSeconds = new Histogram({ name: 'mesh_tool_call_seconds', help: 'MCP tool call duration', labelNames: ['tool'], buckets: TOOL_BUCKETS, registers });
  }

  /** Where the gauges read from; until set they report zero. */
  bind(source: MetricsSource): void {
    this.source = source;
  }

  bytesSent(node: string, bytes: number): void {
    this.bytesSentTotal.inc({ node: this.nodes.label(node) }, bytes);
  }

  chunkServed(ms: number): void {
    this.chunkSeconds.observe(ms / 1000);
  }

  toolCall(call: ToolCallOutcome): void {
    const tool = this.tools.label(call.tool);
    this.toolCalls.inc({ tool, outcome: this.outcomes.label(call.outcome) });
    this.toolSeconds.observe({ tool }, call.durationMs / 1000);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.snapshot = undefined;
    }
  }
}
