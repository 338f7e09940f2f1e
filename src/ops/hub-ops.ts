// What an operator gets from a running hub besides MCP: metrics and the
// audit log, fed by the hub (HubObserver) and the MCP layer (tool calls).
// Created before the hub starts, bound to it once it has.
import { MeshError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Hub } from '../mesh/hub/hub.js';
import type { HubObserver } from '../mesh/hub/hub-options.js';
import { AuditLog } from './audit-log.js';
import { MeshMetrics } from './metrics.js';
import type { ToolCallObserver, ToolCallRecord } from './tool-calls.js';

export interface HubOpsOptions {
  dataDir: string;
  log: Logger;
  /** Audit log rotation size, bytes (MESH_AUDIT_MAX_BYTES). */
  auditMaxBytes?: number;
  /** Rotated audit files kept (MESH_AUDIT_KEEP). */
  auditKeep?: number;
}

export class HubOps {
  readonly metrics = new MeshMetrics();
  readonly audit: AuditLog;
  private hub: Hub | undefined;

  constructor(private readonly options: HubOpsOptions) {
    this.audit = new AuditLog({ dir: options.dataDir, maxBytes: options.auditMaxBytes, keepFiles: options.auditKeep, log: options.log });
  }

  /** For HubOptions.observer. */
  get observer(): HubObserver {
    return this.metrics;
  }

  /** For HubOptions.toolCalls. */
  get toolCalls(): ToolCallObserver {
    return {
      toolCall: (record: ToolCallRecord) => {
        this.metrics.toolCall({ tool: record.tool, outcome: record.outcome, durationMs: record.durationMs });
        this.audit.append({ ...record });
        this.options.log.debug({ requestId: record.requestId, tool: record.tool, outcome: record.outcome, durationMs: record.durationMs }, 'tool call');
      },
    };
  }

  bind(hub: Hub): void {
    this.hub = hub;
    this.metrics.bind({ status: () => hub.status(), storeErrors: () => hub.store.errors });
  }

  /** The hub, once bound (admin routes answer "not ready" before). */
  get boundHub(): Hub | undefined {
    return this.hub;
  }

  async close(): Promise<void> {
    await this.audit.close();
  }
}

/** A non-negative integer from the environment variable `name`, or undefined when unset. */
export function envInt(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new MeshError('INVALID_ARGUMENT', `${name} must be a whole number of 0 or more (got "${value.slice(0, 40)}")`);
  return n;
}
