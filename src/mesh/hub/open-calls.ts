// Every authenticated gRPC call that is still open, with the principal it
// was admitted as. Revocations and grant changes are applied here: an open
// stream is not a way around `token revoke`.
import type { MeshError } from '../../errors.js';
import type { Principal } from './node-auth.js';

export interface OpenCall {
  readonly kind: 'attach' | 'fetch';
  principal: Principal;
  /** End the call with an error status (idempotent). */
  end(err: MeshError): void;
  /** Set by the control stream: the principal's grants changed. */
  grantsChanged?: () => void;
}

export class OpenCalls {
  private readonly calls = new Set<OpenCall>();
  /** How many times every open call was checked again (by the auth watch). */
  rechecks = 0;
  /** Check one call added after a recheck began (set by the auth watch). */
  recheckLate: (call: OpenCall) => void = () => {};

  /**
   * Register a call just admitted as `principal`, for either gRPC port.
   * `endWith` ends it with an error status, at most once and never after
   * `closed` (the call's own end). `recheckedBefore` is `rechecks` read before
   * the credential was verified.
   */
  admit(kind: OpenCall['kind'], principal: Principal, endWith: (err: MeshError) => void, recheckedBefore: number): { open: OpenCall; closed(): void } {
    let ended = false;
    const open: OpenCall = {
      kind,
      principal,
      end: (err) => {
        if (ended) return;
        ended = true;
        endWith(err);
      },
    };
    const remove = this.add(open);
    // Security: credentials were checked again while this one was being verified (a revocation may have
    // just landed): check this call too, or it would outlive the revocation.
    if (this.rechecks !== recheckedBefore) this.recheckLate(open);
    return {
      open,
      closed: () => {
        ended = true;
        remove();
      },
    };
  }

  add(call: OpenCall): () => void {
    this.calls.add(call);
    return () => this.calls.delete(call);
  }

  all(): OpenCall[] {
    return [...this.calls];
  }

  /** Open calls made as `node` of one kind (limits per node). */
  count(node: string, kind: OpenCall['kind']): number {
    let n = 0;
    for (const c of this.calls) if (c.kind === kind && c.principal.node === node) n++;
    return n;
  }
}
