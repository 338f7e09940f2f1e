// Operator side of node credentials, kept hashed in the store (a leaked
// database does not leak working tokens): mint, list, revoke, change grants,
// reset an enrolled node. Every change bumps the store's auth epoch, which a
// running hub polls, so revocations and grant changes reach open streams.
import { createHash, randomBytes } from 'node:crypto';
import { MeshError } from '../../errors.js';
import { validateNodeId } from '../fs/paths.js';
import type { MeshStore } from '../store/mesh-store.js';
import type { TokenRecord } from '../store/records.js';
import { addGrants, normalizeGrants, removeGrants } from './grants.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parse `Bearer <token>`; anything else yields undefined. */
export function parseBearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function newTokenSecret(): string {
  return `mesh_${randomBytes(24).toString('base64url')}`;
}

export function newTokenId(): string {
  return randomBytes(4).toString('hex');
}

export interface CreateTokenOptions {
  name: string;
  /** Bind the token to one node id: it is then that node's credential. */
  node?: string;
  /** Sessions it grants; `['*']` for every one. */
  sessions: string[];
}

/**
 * Mint a token. With `node`, the id is enrolled to it at once, so a shared
 * token can never claim that id; without, it only enrols new node ids.
 */
export async function createToken(store: MeshStore, options: CreateTokenOptions): Promise<{ token: string; record: TokenRecord }> {
  const token = newTokenSecret();
  const record: TokenRecord = {
    id: newTokenId(),
    name: options.name,
    sessions: normalizeGrants(options.sessions, '--sessions'),
    origin: 'minted',
    createdAt: Date.now(),
    ...(options.node ? { node: validateNodeId(options.node) } : {}),
  };
  await store.putToken(hashToken(token), record);
  if (record.node) await store.putIdentity({ node: record.node, credentialId: record.id, enrolledAt: Date.now(), confirmedAt: Date.now() });
  await store.bumpAuthEpoch();
  return { token, record };
}

export async function listTokens(store: MeshStore): Promise<TokenRecord[]> {
  return (await store.listTokens()).map((t) => t.record).sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Find a token by its id, or the active credential of a node id. Throws
 * INVALID_ARGUMENT when nothing matches.
 */
async function findCredential(store: MeshStore, idOrNode: string): Promise<{ hash: string; record: TokenRecord }> {
  const byId = await store.tokenById(idOrNode);
  if (byId) return byId;
  const identity = await store.getIdentity(idOrNode).catch(() => undefined);
  const byNode = identity && (await store.tokenById(identity.credentialId));
  if (byNode && !byNode.record.revokedAt) return byNode;
  throw new MeshError('INVALID_ARGUMENT', `no token or enrolled node "${idOrNode}"; see \`mesh-assistant token list\``);
}

export async function revokeToken(store: MeshStore, idOrNode: string): Promise<TokenRecord> {
  const found = await findCredential(store, idOrNode);
  const record = { ...found.record, revokedAt: found.record.revokedAt ?? Date.now() };
  await store.putToken(found.hash, record);
  await store.bumpAuthEpoch();
  return record;
}

/**
 * Change what a credential grants: add `sessions`, remove them, or replace
 * the list. Takes effect on open streams within the hub's poll period.
 */
export async function changeGrants(
  store: MeshStore,
  idOrNode: string,
  sessions: string[],
  how: 'add' | 'remove' | 'replace',
): Promise<TokenRecord> {
  const found = await findCredential(store, idOrNode);
  if (found.record.revokedAt) throw new MeshError('INVALID_ARGUMENT', `token ${found.record.id} is revoked; grants of a revoked token change nothing`);
  const current = found.record.sessions ?? ['*'];
  const next = how === 'add' ? addGrants(current, sessions) : how === 'remove' ? removeGrants(current, sessions) : normalizeGrants(sessions);
  const record = { ...found.record, sessions: next };
  await store.putToken(found.hash, record);
  await store.bumpAuthEpoch();
  return record;
}

/**
 * Re-enrol a node (reinstalled, or its credential lost): its credentials
 * are revoked and its id is free for the next enrolment by a shared token.
 */
export async function resetNode(store: MeshStore, node: string): Promise<{ revoked: string[] }> {
  validateNodeId(node);
  const revoked: string[] = [];
  for (const { hash, record } of await store.listTokens()) {
    if (record.node !== node || record.revokedAt) continue;
    await store.putToken(hash, { ...record, revokedAt: Date.now() });
    revoked.push(record.id);
  }
  await store.deleteIdentity(node);
  await store.bumpAuthEpoch();
  return { revoked };
}
