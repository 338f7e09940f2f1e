// Round-trip latency of MCP tool calls, measured the same way for any server
// (the reference filesystem server or our hub), so the figures compare.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MeshError } from '../../src/errors.js';
import { percentile } from './report.js';

export interface LatencyResult {
  tool: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export interface LatencyOptions {
  /** Calls made first and not counted (JIT, caches); default 20. */
  warmup?: number;
}

/** Summary of a list of durations in ms. */
export function summarizeMs(tool: string, ms: number[]): LatencyResult {
  return {
    tool,
    samples: ms.length,
    p50Ms: percentile(ms, 0.5),
    p99Ms: percentile(ms, 0.99),
    meanMs: ms.reduce((a, b) => a + b, 0) / (ms.length || 1),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
  };
}

/** A call of `toolName` that resolves when it is answered; a result with isError rejects (timing errors would flatter the server). */
export function toolCall(client: Client, toolName: string, args: Record<string, unknown>): () => Promise<void> {
  return async () => {
    const result = await client.callTool({ name: toolName, arguments: args });
    if (result.isError) {
      throw new MeshError('INTERNAL', `${toolName} returned an error: ${JSON.stringify(result.content).slice(0, 300)}`);
    }
  };
}

/**
 * Call `toolName` `samples` times one after another and report the latency
 * percentiles in ms. A result with isError fails the measurement.
 */
export async function measureToolLatency(
  client: Client,
  toolName: string,
  args: Record<string, unknown>,
  samples: number,
  options: LatencyOptions = {},
): Promise<LatencyResult> {
  const results = await measureInterleaved([{ label: toolName, call: toolCall(client, toolName, args) }], samples, options);
  return results[0]!;
}

export interface TimedCall {
  /** Names the result (LatencyResult.tool). */
  label: string;
  call(): Promise<unknown>;
}

/**
 * Time `calls` in turns: one of each, `samples` rounds, after `warmup`
 * rounds not counted. Servers compared this way meet the same machine load
 * call by call, so their ratio holds on a busy machine, where timing one
 * after the other compares the load of two moments. Results in the order of
 * `calls`.
 */
export async function measureInterleaved(calls: readonly TimedCall[], samples: number, options: LatencyOptions = {}): Promise<LatencyResult[]> {
  const ms = calls.map(() => [] as number[]);
  const rounds = (options.warmup ?? 20) + samples;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < calls.length; i++) {
      const started = performance.now();
      await calls[i]!.call();
      if (round >= rounds - samples) ms[i]!.push(performance.now() - started);
    }
  }
  return calls.map((c, i) => summarizeMs(c.label, ms[i]!));
}
