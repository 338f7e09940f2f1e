// Records the hub persists, and the key each one lives under. One key per
// fact (one per membership edge, one per delivery), so concurrent writers
// never read-modify-write a shared list and never lose one another's update.

export interface MembershipRecord {
  session: string;
  node: string;
  joinedAt: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  /** When set, only the node with this id may use the token. */
  node?: string;
  createdAt: number;
  revokedAt?: number;
}

export interface ChunkInfo {
  sha256: string;
  /** Raw (uncompressed) size in bytes. */
  size: number;
  /** Stored deflated in the staging folder. */
  compressed: boolean;
  /** Size in bytes of what is sent on the wire. */
  wireSize: number;
}

export interface TransferRecord {
  id: string;
  kind: 'write' | 'push' | 'repair';
  session: string;
  /** Destination path relative to the session root. */
  path: string;
  size: number;
  sha256: string;
  chunkSize: number;
  chunks: ChunkInfo[];
  createdAt: number;
  /** Nodes the transfer must reach. */
  targets: string[];
}

export type DeliveryState = 'pending' | 'done' | 'failed';

export interface DeliveryRecord {
  transferId: string;
  node: string;
  state: DeliveryState;
  /** Chunks the node reported verified; bytes derived from it. */
  verifiedChunks: number;
  bytes: number;
  error?: { code: string; message: string };
  updatedAt: number;
}

export interface SkillRecord {
  name: string;
  version: number;
  sha256: string;
  fromSession: string;
  /** Session paths that became links to the library copy. */
  links: Array<{ session: string; path: string }>;
  promotedAt: number;
}

export interface SkillDeliveryRecord {
  name: string;
  version: number;
  node: string;
}

export const keys = {
  membership: (session: string, node: string) => `member:${session}:${node}`,
  token: (hash: string) => `token:${hash}`,
  transfer: (id: string) => `transfer:${id}`,
  delivery: (transferId: string, node: string) => `delivery:${transferId}:${node}`,
  skill: (name: string) => `skill:${name}`,
  skillDelivery: (name: string, node: string) => `skilldelivery:${name}:${node}`,
};
