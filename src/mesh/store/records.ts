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
  /**
   * When set, the token is that node's own credential: only a call made as
   * this node id is admitted with it. Without it, the token only enrols new
   * node ids (each then gets a credential of its own).
   */
  node?: string;
  /** Sessions the holder may join (`['*']`: every one). Absent on records older than grants: every session. */
  sessions?: string[];
  /** 'issued': minted by the hub when a node enrolled; 'minted': made by an operator. Absent means 'minted'. */
  origin?: 'minted' | 'issued';
  /** For an issued credential: the id of the token it was enrolled with. */
  enrolledWith?: string;
  createdAt: number;
  revokedAt?: number;
}

/** A node id that is enrolled: from now on it is admitted only with its own credential. */
export interface IdentityRecord {
  node: string;
  /** The token id of its credential. */
  credentialId: string;
  enrolledAt: number;
  /**
   * When the node confirmed that its credential is on its disk (or an
   * operator minted it). Until then a node that crashed before keeping it
   * may enrol again, once its enrolling stream is gone.
   */
  confirmedAt?: number;
}

export interface ChunkInfo {
  /** Hex SHA-256 of the chunk's raw bytes. */
  sha256: string;
  /** Hex BLAKE3 of the same bytes, for nodes to verify with (fs/blake3.ts); absent where the hub had no BLAKE3. */
  blake3?: string;
  /** Size in bytes. */
  size: number;
}

/** What identifies a push source's content without reading it (fstat); any change means it was written. */
export interface SourceIdentity {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
}

/** The layout of staging and records: 2 is one data file per transfer, staged while nodes fetch. */
export const TRANSFER_FORMAT = 2;

export interface TransferRecord {
  /** TRANSFER_FORMAT when written; records without it are from an older hub. */
  format?: number;
  id: string;
  kind: 'write' | 'push' | 'repair';
  session: string;
  /** Destination path relative to the session root. */
  path: string;
  size: number;
  /** The file's content hash; empty until every chunk is staged. */
  sha256: string;
  chunkSize: number;
  /** The chunks staged so far, in order (all of them once `staged`). */
  chunks: ChunkInfo[];
  /** Every chunk is staged and the source was unchanged to the end. */
  staged?: boolean;
  /** A push's source, to continue staging after a restart: the path as given to push, and what it was then. */
  source?: { path: string; identity: SourceIdentity };
  /** A push's copy in the hub mirror: made once the deliveries settled; 'done' once renamed into place. */
  mirror?: 'pending' | 'done';
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

/**
 * A removal or move the hub made on its mirror that one member has not
 * confirmed yet (offline, or the request failed on the way). While it is
 * stored it is also a tombstone: drift leaves the paths it names alone on
 * that node, so a deleted file is never reported or repaired back. Deleted
 * once the node confirms.
 */
export interface FileOpRecord {
  id: string;
  node: string;
  session: string;
  /** Order of the hub's changes to this session; replayed in this order. */
  seq: number;
  op: 'remove' | 'move';
  path: string;
  recursive?: boolean;
  /** For a move: the destination, and whether it may replace a file there. */
  to?: string;
  overwrite?: boolean;
  createdAt: number;
  /** The rm or mv tool call that made the change: its replay on a returning node is logged under the same id. */
  requestId?: string;
}

export const keys = {
  membership: (session: string, node: string) => `member:${session}:${node}`,
  token: (hash: string) => `token:${hash}`,
  identity: (node: string) => `identity:${node}`,
  /** Changes whenever a token or identity changes, so a running hub notices within its poll period. */
  authEpoch: () => 'authepoch',
  transfer: (id: string) => `transfer:${id}`,
  delivery: (transferId: string, node: string) => `delivery:${transferId}:${node}`,
  skill: (name: string) => `skill:${name}`,
  skillDelivery: (name: string, node: string) => `skilldelivery:${name}:${node}`,
  fileOp: (id: string, node: string) => `fileop:${id}:${node}`,
};
