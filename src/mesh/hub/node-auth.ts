// Who a node call is made by. A shared token (MESH_NODE_TOKENS, or a minted
// token without a node) only enrols: the first attach of a node id binds
// that id to a credential the hub issues, and from then on the id is
// admitted only with that credential (Teleport/Kubernetes join tokens work
// the same way). A token bound to a node id is that node's credential.
import { timingSafeEqual } from 'node:crypto';
import { MeshError } from '../../errors.js';
import { validateNodeId } from '../fs/paths.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { IdentityRecord, TokenRecord } from '../store/records.js';
import { ALL_SESSIONS, type SharedTokenSpec } from './grants.js';
import { RateLimiter } from './rate-limit.js';
import { hashToken, newTokenId, newTokenSecret, parseBearer } from './tokens.js';

/** The authenticated side of a call. Mutable: grants change, an enrolment becomes a credential. */
export interface Principal {
  /** 'enrol': a shared token, admitted only for a node id not enrolled yet; 'node': the id's own credential. */
  kind: 'enrol' | 'node';
  /** The node id the call is made as. */
  node: string;
  /** Token id ('env' for MESH_NODE_TOKENS entries); names the credential in logs and `token list`. */
  credentialId: string;
  /** Store key of the token record; absent for MESH_NODE_TOKENS entries. */
  tokenHash?: string;
  /** Sessions this principal may be a member of (`['*']`: every one). */
  grants: string[];
}

/** Enrolments one token may make: a burst, then this many a minute. */
export const ENROL_RATE = { burst: 50, perMinute: 30 };

export type RecheckResult = { revoked: true; reason: string } | { revoked: false; grants: string[] };

interface SharedToken {
  hash: Buffer;
  grants: string[];
}

export class NodeAuthority {
  private readonly shared: SharedToken[];
  /** Enrolments in progress, by node id: one at a time per id, so two callers cannot both enrol it. */
  private readonly enrolling = new Map<string, Promise<unknown>>();
  /** Ids whose enrolling stream is open: their unconfirmed credential is not up for grabs. */
  private readonly held = new Set<string>();
  /** Enrolments per enrolling token: one shared token must not mint node ids (each with its own budgets) without end. */
  private readonly enrolments = new RateLimiter(ENROL_RATE);

  constructor(
    sharedTokens: readonly SharedTokenSpec[],
    private readonly store: MeshStore,
    /** Whether a node of this id is attached right now (any credential). */
    private readonly isAttached: (node: string) => boolean = () => false,
  ) {
    this.shared = sharedTokens.map((t) => ({ hash: Buffer.from(hashToken(t.token), 'hex'), grants: t.grants ?? [ALL_SESSIONS] }));
  }

  /** Resolve a call's bearer token and claimed node id, or throw UNAUTHENTICATED. */
  async verify(header: unknown, claimedNode: unknown): Promise<Principal> {
    const token = parseBearer(header);
    if (!token) throw new MeshError('UNAUTHENTICATED', 'missing "authorization: Bearer <token>" metadata');
    if (typeof claimedNode !== 'string' || claimedNode === '') throw new MeshError('UNAUTHENTICATED', 'missing "x-mesh-node" metadata');
    const node = validateNodeId(claimedNode);
    const hash = hashToken(token);
    const hashBuf = Buffer.from(hash, 'hex');
    // Security: constant-time comparison against every shared token (no early exit reveals which prefix matched).
    const shared = this.shared.filter((s) => timingSafeEqual(s.hash, hashBuf));
    if (shared.length > 0) return this.admitEnrolment(node, { kind: 'enrol', node, credentialId: 'env', grants: [...shared[0]!.grants] });
    const record = await this.store.getToken(hash);
    if (!record) throw new MeshError('UNAUTHENTICATED', 'unknown token');
    if (record.revokedAt) throw new MeshError('UNAUTHENTICATED', `token ${record.id} was revoked`);
    const grants = record.sessions ?? [ALL_SESSIONS];
    if (record.node) {
      // Security: a node's credential cannot be used to act as another node.
      if (record.node !== node) throw new MeshError('UNAUTHENTICATED', `token ${record.id} belongs to node "${record.node}", not "${node}"`);
      return { kind: 'node', node, credentialId: record.id, tokenHash: hash, grants };
    }
    return this.admitEnrolment(node, { kind: 'enrol', node, credentialId: record.id, tokenHash: hash, grants });
  }

  /**
   * Bind `principal.node` to a new credential (an enrolment principal's
   * first attach). Returns the credential's secret, to be sent to the node
   * once; the principal becomes the credential's.
   */
  async enrol(principal: Principal): Promise<string> {
    const node = principal.node;
    if (!this.enrolments.take(principal.credentialId)) {
      throw new MeshError('LIMIT_EXCEEDED', `token ${principal.credentialId} enrolled too many node ids; the limit is ${ENROL_RATE.perMinute} a minute`, { limit: ENROL_RATE.perMinute });
    }
    const previous = this.enrolling.get(node) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(async () => {
      // Security: checked again under the per-id queue: two shared-token
      // holders racing for one id cannot both get a credential for it.
      const identity = await this.store.getIdentity(node);
      if (identity && !this.mayEnrolAgain(identity)) throw enrolledError(node);
      if (identity) await this.revokeUnconfirmed(identity.credentialId);
      this.held.add(node);
      const secret = newTokenSecret();
      const hash = hashToken(secret);
      const record: TokenRecord = {
        id: newTokenId(),
        name: `node ${node}`,
        node,
        sessions: principal.grants,
        origin: 'issued',
        enrolledWith: principal.credentialId,
        createdAt: Date.now(),
      };
      await this.store.putToken(hash, record);
      await this.store.putIdentity({ node, credentialId: record.id, enrolledAt: Date.now() });
      Object.assign(principal, { kind: 'node', credentialId: record.id, tokenHash: hash });
      return secret;
    });
    this.enrolling.set(node, run);
    try {
      return await run;
    } finally {
      if (this.enrolling.get(node) === run) this.enrolling.delete(node);
    }
  }

  /**
   * The node says its credential is on its disk: from now on the id is
   * admitted only with it, even when no stream of it is open.
   */
  async confirm(principal: Principal): Promise<boolean> {
    if (principal.kind !== 'node') return false;
    const identity = await this.store.getIdentity(principal.node);
    if (!identity || identity.confirmedAt || identity.credentialId !== principal.credentialId) return false;
    await this.store.putIdentity({ ...identity, confirmedAt: Date.now() });
    return true;
  }

  /** The enrolling stream of `node` ended. */
  release(node: string): void {
    this.held.delete(node);
  }

  /** Read a principal's credential again (after an auth epoch change): revoked, or its grants now. */
  async recheck(principal: Principal): Promise<RecheckResult> {
    if (!principal.tokenHash) return { revoked: false, grants: principal.grants };
    const record = await this.store.getToken(principal.tokenHash);
    if (!record) return { revoked: true, reason: `token ${principal.credentialId} no longer exists` };
    if (record.revokedAt) return { revoked: true, reason: `token ${record.id} was revoked` };
    if (principal.kind === 'node' && record.node !== principal.node) return { revoked: true, reason: `token ${record.id} no longer belongs to node "${principal.node}"` };
    return { revoked: false, grants: record.sessions ?? [ALL_SESSIONS] };
  }

  private async admitEnrolment(node: string, principal: Principal): Promise<Principal> {
    // Security: an enrolled id is admitted only with its own credential; a
    // shared token cannot take it over (and drop or impersonate the real node).
    const identity = await this.store.getIdentity(node);
    if (identity && !this.mayEnrolAgain(identity)) throw enrolledError(node);
    return principal;
  }

  /**
   * An id may enrol again only while its credential was never confirmed
   * (the node died before keeping it) and no stream of that enrolment is
   * open. Security: once confirmed, or while the enrolling node is attached,
   * a shared token cannot take the id.
   */
  private mayEnrolAgain(identity: IdentityRecord): boolean {
    return !identity.confirmedAt && !this.held.has(identity.node) && !this.isAttached(identity.node);
  }

  /** A credential issued to a node that never kept it is deleted (not kept as a revoked record), and open streams hear of it. */
  private async revokeUnconfirmed(credentialId: string): Promise<void> {
    const found = await this.store.tokenById(credentialId);
    if (found?.record.origin === 'issued') await this.store.deleteToken(found.hash);
    await this.store.bumpAuthEpoch();
  }
}

function enrolledError(node: string): MeshError {
  return new MeshError(
    'UNAUTHENTICATED',
    `node "${node}" is enrolled and attaches only with its own credential; a shared token cannot act as it (an operator re-enrols a reinstalled node with \`mesh-assistant token reset ${node}\`)`,
    { node },
  );
}
