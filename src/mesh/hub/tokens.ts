// Node authentication: bearer tokens from MESH_NODE_TOKENS, or tokens minted
// with `mesh-assistant token create` and kept hashed in the store (so a
// leaked database does not leak working tokens).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MeshError } from '../../errors.js';
import { validateNodeId } from '../fs/paths.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { TokenRecord } from '../store/records.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parse `Bearer <token>`; anything else yields undefined. */
export function parseBearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export class TokenAuthority {
  private readonly envHashes: Buffer[];

  constructor(
    envTokens: readonly string[],
    private readonly store: MeshStore,
  ) {
    this.envHashes = envTokens.filter(Boolean).map((t) => Buffer.from(hashToken(t), 'hex'));
  }

  /**
   * Resolve an `authorization` header to the token's id, or throw
   * UNAUTHENTICATED. Environment tokens are compared in constant time.
   */
  async verify(header: unknown, claimedNode?: unknown): Promise<{ tokenId: string }> {
    const token = parseBearer(header);
    if (!token) throw new MeshError('UNAUTHENTICATED', 'missing "authorization: Bearer <token>" metadata');
    const hash = hashToken(token);
    const hashBuf = Buffer.from(hash, 'hex');
    if (this.envHashes.some((h) => timingSafeEqual(h, hashBuf))) return { tokenId: 'env' };
    const record = await this.store.getToken(hash);
    if (!record) throw new MeshError('UNAUTHENTICATED', 'unknown token');
    if (record.revokedAt) throw new MeshError('UNAUTHENTICATED', `token ${record.id} was revoked`);
    // Security: a token minted for one node cannot be used to act as another.
    if (record.node && claimedNode !== record.node) {
      throw new MeshError('UNAUTHENTICATED', `token ${record.id} belongs to node "${record.node}", not "${String(claimedNode ?? '')}"`);
    }
    return { tokenId: record.id };
  }
}

/** Mint a token; with `node`, only a node of that id may use it. */
export async function createToken(store: MeshStore, name: string, node?: string): Promise<{ token: string; record: TokenRecord }> {
  const token = `mesh_${randomBytes(24).toString('base64url')}`;
  const record: TokenRecord = { id: randomBytes(4).toString('hex'), name, createdAt: Date.now(), ...(node ? { node: validateNodeId(node) } : {}) };
  await store.putToken(hashToken(token), record);
  return { token, record };
}

export async function revokeToken(store: MeshStore, id: string): Promise<TokenRecord> {
  const found = (await store.listTokens()).find((t) => t.record.id === id);
  if (!found) throw new MeshError('INVALID_ARGUMENT', `no token with id "${id}"; see \`mesh-assistant token list\``);
  const record = { ...found.record, revokedAt: found.record.revokedAt ?? Date.now() };
  await store.putToken(found.hash, record);
  return record;
}
