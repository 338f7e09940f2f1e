// Typed access to the Keyv store. The hub loads a snapshot at start and
// writes through on every change: the store is the source of truth, memory
// is a cache that a restart rebuilds.
import type Keyv from 'keyv';
import { randomBytes } from 'node:crypto';
import { MeshError } from '../../errors.js';
import {
  keys,
  type DeliveryRecord,
  type FileOpRecord,
  type IdentityRecord,
  type MembershipRecord,
  type SkillDeliveryRecord,
  type SkillRecord,
  type TokenRecord,
  type TransferRecord,
} from './records.js';
import { openKeyv, type OpenedStore } from './open-keyv.js';

export interface StoreSnapshot {
  memberships: MembershipRecord[];
  transfers: TransferRecord[];
  deliveries: DeliveryRecord[];
  skills: SkillRecord[];
  skillDeliveries: SkillDeliveryRecord[];
  fileOps: FileOpRecord[];
}

export class MeshStore {
  /** Reads and writes that failed since the store was opened (operators' metrics). */
  errors = 0;

  private constructor(private readonly opened: OpenedStore) {}

  static async open(storeUrl: string | undefined, dataDir: string): Promise<MeshStore> {
    return new MeshStore(await openKeyv(storeUrl, dataDir));
  }

  get describe(): string {
    return this.opened.describe;
  }

  private get kv(): Keyv {
    return this.opened.keyv;
  }

  async load(): Promise<StoreSnapshot> {
    const snapshot: StoreSnapshot = { memberships: [], transfers: [], deliveries: [], skills: [], skillDeliveries: [], fileOps: [] };
    for await (const [key, value] of this.entries()) {
      const kind = key.split(':', 1)[0];
      if (kind === 'member') snapshot.memberships.push(value);
      else if (kind === 'transfer') snapshot.transfers.push(value);
      else if (kind === 'delivery') snapshot.deliveries.push(value);
      else if (kind === 'skill') snapshot.skills.push(value);
      else if (kind === 'skilldelivery') snapshot.skillDeliveries.push(value);
      else if (kind === 'fileop') snapshot.fileOps.push(value);
    }
    return snapshot;
  }

  async putMembership(record: MembershipRecord): Promise<void> {
    await this.set(keys.membership(record.session, record.node), record);
  }

  async deleteMembership(session: string, node: string): Promise<void> {
    await this.remove(keys.membership(session, node));
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    return this.read(keys.token(hash));
  }

  async putToken(hash: string, record: TokenRecord): Promise<void> {
    await this.set(keys.token(hash), record);
  }

  /** A token record by its id (ids are listed, hashes are the keys: a scan, for operator commands and enrolment). */
  async tokenById(id: string): Promise<{ hash: string; record: TokenRecord } | undefined> {
    return (await this.listTokens()).find((t) => t.record.id === id);
  }

  async deleteToken(hash: string): Promise<void> {
    await this.remove(keys.token(hash));
  }

  async listTokens(): Promise<Array<{ hash: string; record: TokenRecord }>> {
    const out: Array<{ hash: string; record: TokenRecord }> = [];
    for await (const [key, value] of this.entries()) {
      if (key.startsWith('token:')) out.push({ hash: key.slice('token:'.length), record: value as TokenRecord });
    }
    return out;
  }

  async getIdentity(node: string): Promise<IdentityRecord | undefined> {
    return this.read(keys.identity(node));
  }

  async putIdentity(record: IdentityRecord): Promise<void> {
    await this.set(keys.identity(record.node), record);
  }

  async deleteIdentity(node: string): Promise<void> {
    await this.remove(keys.identity(node));
  }

  /** An opaque value that changes with every token or identity change. */
  async getAuthEpoch(): Promise<string | undefined> {
    return this.read(keys.authEpoch());
  }

  /** Tell running hubs that tokens or identities changed (revocations, grants). */
  async bumpAuthEpoch(): Promise<void> {
    // A random value, not a counter: two operators bumping at once need no read-modify-write.
    await this.set(keys.authEpoch(), `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  async putTransfer(record: TransferRecord): Promise<void> {
    await this.set(keys.transfer(record.id), record);
  }

  async deleteTransfer(id: string): Promise<void> {
    await this.remove(keys.transfer(id));
  }

  async putDelivery(record: DeliveryRecord): Promise<void> {
    await this.set(keys.delivery(record.transferId, record.node), record);
  }

  async deleteDelivery(transferId: string, node: string): Promise<void> {
    await this.remove(keys.delivery(transferId, node));
  }

  async putSkill(record: SkillRecord): Promise<void> {
    await this.set(keys.skill(record.name), record);
  }

  async putSkillDelivery(record: SkillDeliveryRecord): Promise<void> {
    await this.set(keys.skillDelivery(record.name, record.node), record);
  }

  async deleteSkillDelivery(name: string, node: string): Promise<void> {
    await this.remove(keys.skillDelivery(name, node));
  }

  /** Throws STORE_UNAVAILABLE unless a read reaches the store (readiness probes). */
  async ping(): Promise<void> {
    await this.read(keys.authEpoch());
  }

  async putFileOp(record: FileOpRecord): Promise<void> {
    await this.set(keys.fileOp(record.id, record.node), record);
  }

  async deleteFileOp(id: string, node: string): Promise<void> {
    await this.kv.delete(keys.fileOp(id, node));
  }

  async close(): Promise<void> {
    await this.opened.close();
  }

  private async *entries(): AsyncGenerator<[string, any]> {
    if (!this.kv.iterator) throw new MeshError('STORE_UNAVAILABLE', 'the store adapter cannot list its keys');
    const it = this.kv.iterator(this.kv.namespace);
    for (;;) {
      let next: IteratorResult<[unknown, any]>;
      try {
        next = await it.next();
      } catch (err) {
        throw new MeshError('STORE_UNAVAILABLE', `store scan failed: ${(err as Error).message}`);
      }
      if (next.done) return;
      yield [String(next.value[0]), next.value[1]];
    }
  }

  private async read<T>(key: string): Promise<T | undefined> {
    try {
      return (await this.kv.get<T>(key)) ?? undefined;
    } catch (err) {
      this.errors++;
      throw new MeshError('STORE_UNAVAILABLE', `store read of ${key} failed: ${(err as Error).message}`);
    }
  }

  private async remove(key: string): Promise<void> {
    try {
      await this.kv.delete(key);
    } catch (err) {
      throw new MeshError('STORE_UNAVAILABLE', `store delete of ${key} failed: ${(err as Error).message}`);
    }
  }

  private async set(key: string, value: unknown): Promise<void> {
    try {
      const ok = await this.kv.set(key, value);
      if (ok === false) throw new Error('the adapter refused the write');
    } catch (err) {
      this.errors++;
      throw new MeshError('STORE_UNAVAILABLE', `store write of ${key} failed: ${(err as Error).message}`);
    }
  }
}
