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

/**
 * Call `toolName` `samples` times one after another and report the latency
 * percentiles in ms. A result with isError fails the measurement: timing
 * errors would flatter the server.
 */
export async function measureToolLatency(
  client: Client,
  toolName: string,
  args: Record<string, unknown>,
  samples: number,
  options: LatencyOptions = {},
): Promise<LatencyResult> {
  const call = async (): Promise<number> => {
    const started = performance.now();
    const result = await client.callTool({ name: toolName, arguments: args });
    const ms = performance.now() - started;
    if (result.isError) {
      throw new MeshError('INTERNAL', `${toolName} returned an error: ${JSON.stringify(result.content).slice(0, 300)}`);
    }
    return ms;
  };
  for (let i = 0; i < (options.warmup ?? 20); i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push(await call());
  return summarizeMs(toolName, ms);
}
