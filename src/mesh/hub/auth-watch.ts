// Applies credential changes to open calls. Operator commands write tokens
// straight into the store and bump its auth epoch; the hub polls that one key
// and, when it moved, checks every open call's credential again: a revoked
// credential's streams are cut, changed grants reach the control stream.
import { MeshError, toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { NodeAuthority } from './node-auth.js';
import type { OpenCall, OpenCalls } from './open-calls.js';

/** How often the auth epoch is read, ms: a revocation cuts open streams within about this long. */
export const AUTH_POLL_MS = 400;

export interface AuthWatchDeps {
  store: MeshStore;
  authority: NodeAuthority;
  calls: OpenCalls;
  log: Logger;
}

export class AuthWatch {
  private timer: NodeJS.Timeout | undefined;
  private epoch: string | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: AuthWatchDeps,
    private readonly pollMs = AUTH_POLL_MS,
  ) {}

  async start(): Promise<void> {
    this.deps.calls.recheckLate = (call) => void this.recheck(call).catch(() => {});
    this.epoch = await this.deps.store.getAuthEpoch().catch(() => undefined);
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Check every open call now, whatever the epoch says. */
  async recheckAll(): Promise<void> {
    this.deps.calls.rechecks++;
    for (const call of this.deps.calls.all()) await this.recheck(call);
  }

  private async recheck(call: OpenCall): Promise<void> {
    const result = await this.deps.authority.recheck(call.principal);
    if (result.revoked) {
      this.deps.log.warn({ node: call.principal.node, credential: call.principal.credentialId, call: call.kind, reason: result.reason }, 'credential revoked; closing the stream');
      call.end(new MeshError('UNAUTHENTICATED', result.reason));
      return;
    }
    if (!sameList(result.grants, call.principal.grants)) {
      call.principal.grants = result.grants;
      call.grantsChanged?.();
    }
  }

  private async tick(): Promise<void> {
    let epoch: string | undefined;
    try {
      epoch = await this.deps.store.getAuthEpoch();
    } catch (err) {
      // The store is down: nothing can be re-read; the next tick tries again.
      this.deps.log.debug({ err: toMeshError(err).message }, 'auth epoch not readable');
      return;
    }
    if (epoch === this.epoch) return;
    await this.recheckAll().then(
      () => (this.epoch = epoch),
      (err) => this.deps.log.warn({ err: toMeshError(err).message }, 'credentials not rechecked; trying again'),
    );
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
