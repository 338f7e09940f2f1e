// TypeScript shapes of the messages in proto/mesh.proto, as the proto loader
// produces them (load.ts: camelCase fields, numbers for 64-bit ints, Buffers
// for bytes, defaults filled in, oneof name in the field named after the
// oneof). They are the generated types of ./generated/ (npm run proto:types),
// so the .proto stays the one source of truth; the few refinements below are
// what the code relies on beyond what a .proto can say. Wire types stay in
// this folder; the rest of the code works with these plain objects.
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/mesh.js';

type Messages = ProtoGrpcType['mesh']['v1'];
/** A message as the loader hands it over: every field present (defaults), 64-bit ints as numbers. */
type Received<Name extends keyof Messages> = Messages[Name] extends MessageTypeDefinition<object, infer Output> ? Output : never;
/** A message as a sender may write it: any field may be left out (the peer's loader fills in its default). */
type Sent<Name extends keyof Messages> = Messages[Name] extends MessageTypeDefinition<infer Input, object> ? Input : never;
/** `T` with the fields `K` optional: fields that a sender leaves out (the receiving loader then reads their default). */
type Omitted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export type WireError = Received<'Error'>;

export type Hello = Received<'Hello'>;
export type Denied = Received<'Denied'>;
export type Welcome = Received<'Welcome'>;
export type Left = Received<'Left'>;
export type Heartbeat = Received<'Heartbeat'>;
export type Join = Received<'Join'>;
export type Joined = Received<'Joined'>;

/** What a listing entry may be; the .proto carries it as a string, and frame-checks.ts refuses any other. */
type EntryType = 'file' | 'directory' | 'symlink' | 'other';
export type Entry = Omit<Received<'Entry'>, 'type'> & { type: EntryType };

export type ListRequest = Received<'ListRequest'>;
export type ListReply = Omit<Received<'ListReply'>, 'entries'> & { entries: Entry[] };
export type ReadRequest = Received<'ReadRequest'>;
export type ReadReply = Received<'ReadReply'>;
export type DeliverRequest = Received<'DeliverRequest'>;
export type DeliverReply = Received<'DeliverReply'>;
export type CancelRequest = Received<'CancelRequest'>;
export type SkillFile = Received<'SkillFile'>;
export type SessionLink = Received<'SessionLink'>;
export type InstallSkillRequest = Received<'InstallSkillRequest'>;
export type ManifestEntryWire = Received<'ManifestEntry'>;
/** Without epoch, seq, page and last: one whole manifest in one frame (older nodes), as checkManifest passes it on. */
export type ManifestReport = Omitted<Received<'ManifestReport'>, 'epoch' | 'seq' | 'page' | 'last'>;
export type ManifestDelta = Received<'ManifestDelta'>;
/** `error` is set only when the hub refuses the node's manifest; its other acks leave it out. */
export type ManifestAck = Omitted<Received<'ManifestAck'>, 'error'>;
export type Progress = Received<'Progress'>;

export type RemoveRequest = Received<'RemoveRequest'>;
export type MoveRequest = Received<'MoveRequest'>;
export type FindRequest = Received<'FindRequest'>;
export type FoundEntry = Omit<Received<'FoundEntry'>, 'type'> & { type: EntryType };
export type FindReply = Omit<Received<'FindReply'>, 'entries'> & { entries: FoundEntry[] };
export type GrepRequest = Received<'GrepRequest'>;
export type GrepMatch = Received<'GrepMatch'>;
export type GrepReply = Received<'GrepReply'>;

/** Transfer ids whose part files a node keeps; every other part file goes. */
export type SweepPartsRequest = Received<'SweepPartsRequest'>;

/** Without `maxPieceBytes` from a node that predates pieces (0 or absent: whole chunks). */
export type FetchRequest = Omitted<Received<'FetchRequest'>, 'maxPieceBytes'>;
export type Chunk = Received<'Chunk'>;

/** The requests the hub sends to a node (the `op` oneof of Request). */
export type RequestOp = NonNullable<Received<'Request'>['op']>;
/** The results a reply may carry (the `result` oneof of Reply). */
export type ReplyKey = NonNullable<Received<'Reply'>['result']>;

/** Which reply field carries the result of each request. */
export const REPLY_FIELD = {
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
} as const satisfies Record<RequestOp, ReplyKey>;

/** Requests the hub sends to a node, keyed by their oneof name. */
export type RequestOps = { [Op in RequestOp]: NonNullable<Received<'Request'>[Op]> };
/** The reply result each request expects, as frame-checks.ts passes it on (listings with known entry types). */
export type ReplyResults = { [Op in RequestOp]: ReplyBodies[(typeof REPLY_FIELD)[Op]] };
type ReplyBodies = Omit<{ [Key in ReplyKey]: NonNullable<Received<'Reply'>[Key]> }, 'list' | 'find'> & { list: ListReply; find: FindReply };

export type Request = Received<'Request'>;
/** `error` is set only when the request failed; a node's replies otherwise leave it out. */
export type Reply = Omitted<Received<'Reply'>, 'error'>;

/**
 * A frame as received, as a union discriminated by its oneof `kind`: the
 * loader (oneofs: true) names the one field that is set, so code can switch
 * on `kind` and use that field without a null check.
 */
type OneofFrame<Frame extends { kind?: string }> = {
  [Kind in NonNullable<Frame['kind']> & keyof Frame]: { kind: Kind } & { [Field in Kind]: NonNullable<Frame[Field]> };
}[NonNullable<Frame['kind']> & keyof Frame];

export type NodeFrame = OneofFrame<Received<'NodeFrame'>>;
export type HubFrame = OneofFrame<Received<'HubFrame'>>;

/** What one side writes: exactly one of the fields set (the proto oneof), any of its own fields left out at their default. */
export type HubFrameOut = Sent<'HubFrame'>;
export type NodeFrameOut = Sent<'NodeFrame'>;
