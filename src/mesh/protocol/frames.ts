// TypeScript shapes of the messages in proto/mesh.proto, as the proto loader
// produces them (camelCase fields, numbers for 64-bit ints, Buffers for
// bytes, oneof name in the field named after the oneof). Wire types stay in
// this folder; the rest of the code works with these plain objects.

export interface WireError {
  code: string;
  message: string;
}

export interface Hello {
  nodeId: string;
  sessions: string[];
  version: string;
}
export interface Denied {
  session: string;
  error?: WireError | null;
}
export interface Welcome {
  sessions: string[];
  hubId: string;
  denied: Denied[];
  /** Non-empty once, when this attach enrolled the node. */
  credential: string;
  /** The hub's fetch port (Fetch only, same host); 0: Fetch on the main connection. Optional: an older hub sends none. */
  fetchPort?: number;
}
export interface Left {
  session: string;
  error?: WireError | null;
}
export interface Heartbeat {
  atMs: number;
}
export interface Join {
  id: number;
  session: string;
}
export interface Joined {
  id: number;
  session: string;
  error?: WireError | null;
}

export interface Entry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
}

export interface ListRequest {
  session: string;
  path: string;
}
export interface ListReply {
  entries: Entry[];
}
export interface ReadRequest {
  session: string;
  path: string;
  offset: number;
  length: number;
}
export interface ReadReply {
  data: Buffer;
  size: number;
  offset: number;
}
export interface DeliverRequest {
  transferId: string;
  session: string;
  path: string;
  size: number;
  sha256: string;
  chunkSize: number;
  chunkSha256: string[];
  inline: boolean;
  data: Buffer;
}
export interface DeliverReply {
  sha256: string;
  size: number;
  fetchedBytes: number;
}
export interface CancelRequest {
  transferId: string;
  session: string;
  path: string;
}
export interface SkillFile {
  path: string;
  data: Buffer;
  mode: number;
}
export interface SessionLink {
  session: string;
  path: string;
}
export interface InstallSkillRequest {
  name: string;
  version: number;
  sha256: string;
  files: SkillFile[];
  links: SessionLink[];
}
export interface ManifestEntryWire {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}
export interface ManifestReport {
  session: string;
  entries: ManifestEntryWire[];
  /** Empty for a one-frame whole manifest (older nodes). */
  epoch?: string;
  seq?: number;
  page?: number;
  last?: boolean;
}
export interface ManifestDelta {
  session: string;
  epoch: string;
  baseSeq: number;
  seq: number;
  changed: ManifestEntryWire[];
  removed: string[];
}
export interface ManifestAck {
  session: string;
  epoch: string;
  seq: number;
  /** The hub holds nothing usable: send a full report. */
  full: boolean;
  /** The hub refused this session's manifest; reporting stops until the next attach. */
  error?: WireError | null;
}
export interface Progress {
  transferId: string;
  verifiedChunks: number;
  bytes: number;
}

export interface RemoveRequest {
  session: string;
  path: string;
  recursive: boolean;
}
export interface MoveRequest {
  session: string;
  from: string;
  to: string;
  overwrite: boolean;
}
export interface FindRequest {
  session: string;
  path: string;
  pattern: string;
  limit: number;
  maxDepth: number;
}
export interface FoundEntry {
  path: string;
  type: Entry['type'];
  size: number;
  mtimeMs: number;
}
export interface FindReply {
  entries: FoundEntry[];
  truncated: boolean;
}
export interface GrepRequest {
  session: string;
  path: string;
  pattern: string;
  glob: string;
  regex: boolean;
  ignoreCase: boolean;
  maxResults: number;
  deadlineMs: number;
}
export interface GrepMatch {
  path: string;
  line: number;
  text: string;
}
export interface GrepReply {
  matches: GrepMatch[];
  truncated: boolean;
  filesScanned: number;
  bytesScanned: number;
  timedOut: boolean;
  binarySkipped: number;
}

/** Transfer ids whose part files a node keeps; every other part file goes. */
export interface SweepPartsRequest {
  keep: string[];
}

/** Requests the hub sends to a node, keyed by their oneof name. */
export interface RequestOps {
  list: ListRequest;
  read: ReadRequest;
  deliver: DeliverRequest;
  cancel: CancelRequest;
  installSkill: InstallSkillRequest;
  remove: RemoveRequest;
  move: MoveRequest;
  find: FindRequest;
  grep: GrepRequest;
  sweepParts: SweepPartsRequest;
}
/** The reply result each request expects. */
export interface ReplyResults {
  list: ListReply;
  read: ReadReply;
  deliver: DeliverReply;
  cancel: Record<string, never>;
  installSkill: Record<string, never>;
  remove: Record<string, never>;
  move: Record<string, never>;
  find: FindReply;
  grep: GrepReply;
  sweepParts: Record<string, never>;
}
export type RequestOp = keyof RequestOps;
export type ReplyKey = 'list' | 'read' | 'deliver' | 'ok' | 'find' | 'grep';

/** Which reply field carries the result of each request. */
export const REPLY_FIELD: Record<RequestOp, ReplyKey> = {
  list: 'list',
  read: 'read',
  deliver: 'deliver',
  cancel: 'ok',
  installSkill: 'ok',
  remove: 'ok',
  move: 'ok',
  find: 'find',
  grep: 'grep',
  sweepParts: 'ok',
};

export type Request = {
  id: number;
  op?: RequestOp;
  /** The MCP tool call that caused the request; empty (or absent) for the hub's own work. */
  requestId?: string;
} & Partial<RequestOps>;
export type Reply = {
  id: number;
  error?: WireError | null;
  result?: ReplyKey;
  list?: ListReply;
  read?: ReadReply;
  deliver?: DeliverReply;
  ok?: Record<string, never>;
  find?: FindReply;
  grep?: GrepReply;
};

export type NodeFrame =
  | { kind: 'hello'; hello: Hello }
  | { kind: 'reply'; reply: Reply }
  | { kind: 'heartbeat'; heartbeat: Heartbeat }
  | { kind: 'manifest'; manifest: ManifestReport }
  | { kind: 'progress'; progress: Progress }
  | { kind: 'join'; join: Join }
  | { kind: 'enrolled'; enrolled: Record<string, never> }
  | { kind: 'manifestDelta'; manifestDelta: ManifestDelta };

export type HubFrame =
  | { kind: 'welcome'; welcome: Welcome }
  | { kind: 'request'; request: Request }
  | { kind: 'heartbeat'; heartbeat: Heartbeat }
  | { kind: 'joined'; joined: Joined }
  | { kind: 'left'; left: Left }
  | { kind: 'manifestAck'; manifestAck: ManifestAck };

/** What one side writes: exactly one of the fields set (the proto oneof). */
export type HubFrameOut = { welcome?: Welcome; request?: Request; heartbeat?: Heartbeat; joined?: Joined; left?: Left; manifestAck?: ManifestAck };
export type NodeFrameOut = {
  hello?: Hello;
  reply?: Reply;
  heartbeat?: Heartbeat;
  manifest?: ManifestReport;
  progress?: Progress;
  join?: Join;
  enrolled?: Record<string, never>;
  manifestDelta?: ManifestDelta;
};

export interface FetchRequest {
  transferId: string;
  fromChunk: number;
  /** Largest piece of a chunk per message the node takes; 0 or absent: whole chunks. */
  maxPieceBytes?: number;
}
export interface Chunk {
  index: number;
  data: Buffer;
  compressed: boolean;
  sha256: string;
  rawSize: number;
  /** Where `data` starts within the chunk (0 for a whole chunk or its first piece). */
  offset: number;
}
