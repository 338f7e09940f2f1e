// Resumable SSE for Streamable HTTP: the events of each MCP session's streams
// are kept for a while, so a client whose stream dropped reconnects with
// Last-Event-ID and gets what it missed (progress, log notifications, the
// result). Bounded: per session and in total (bytes of JSON), and in time;
// past a bound the oldest events go first, and an event larger than a
// session's whole share is sent live but not kept.
import type { EventId, EventStore, StreamId } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Streams one session remembers for resumption; every POST that carries a request opens one. */
const MAX_STREAMS = 10_000;

/** Separates stream id and sequence in an event id; stream ids are UUIDs or "_GET_stream". */
const SEP = '#';

/** `<stream>#<seq>`, or undefined when `id` is not one of ours. Pure. */
export function parseEventId(id: string): { stream: string; seq: number } | undefined {
  const at = id.lastIndexOf(SEP);
  if (at <= 0) return undefined;
  const digits = id.slice(at + 1);
  const seq = Number(digits);
  return /^\d{1,15}$/.test(digits) && Number.isSafeInteger(seq) ? { stream: id.slice(0, at), seq } : undefined;
}

interface StoredEvent {
  seq: number;
  stream: string;
  message: JSONRPCMessage;
  bytes: number;
  at: number;
}

/** Bytes held by every store of one hub: the total bound. Guarded by the event loop. */
export class EventBytes {
  used = 0;
  constructor(readonly max: number) {}
}

export interface EventStoreLimits {
  sessionBytes: number;
  ttlMs: number;
}

export class SessionEventStore implements EventStore {
  /** Every kept event of the session, oldest first (seq increases). */
  private readonly events: StoredEvent[] = [];
  /** Streams that may be resumed, by when they last got an event; oldest first (re-inserted on each event). */
  private readonly streams = new Map<string, number>();
  private bytes = 0;
  private seq = 0;

  constructor(
    private readonly limits: EventStoreLimits,
    private readonly total: EventBytes,
    private readonly now: () => number = Date.now,
  ) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.seq;
    const id = `${streamId}${SEP}${seq}`;
    this.streams.delete(streamId);
    this.streams.set(streamId, this.now());
    this.expire();
    // A priming event ({}) carries nothing to replay; only its id matters.
    if (!('jsonrpc' in message)) return id;
    const bytes = JSON.stringify(message).length;
    // Security: memory. A session's events, and all sessions' together, are bounded; the oldest make room.
    while (this.events.length > 0 && (this.bytes + bytes > this.limits.sessionBytes || this.total.used + bytes > this.total.max)) this.dropOldest();
    if (this.bytes + bytes > this.limits.sessionBytes || this.total.used + bytes > this.total.max) return id; // too large to keep
    this.events.push({ seq, stream: streamId, message, bytes, at: this.now() });
    this.bytes += bytes;
    this.total.used += bytes;
    return id;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    const parsed = parseEventId(eventId);
    // Only ids this session handed out: another session's stream ids are not ours to resume.
    return parsed && this.streams.has(parsed.stream) && parsed.seq <= this.seq ? parsed.stream : undefined;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    this.expire();
    const parsed = parseEventId(lastEventId);
    if (!parsed || !this.streams.has(parsed.stream)) return '';
    // A copy: sending may await while new events arrive (they go out live).
    for (const e of this.events.filter((x) => x.stream === parsed.stream && x.seq > parsed.seq)) await send(`${e.stream}${SEP}${e.seq}`, e.message);
    return parsed.stream;
  }

  /** Give every kept byte back to the total (the session closed). */
  clear(): void {
    this.total.used -= this.bytes;
    this.bytes = 0;
    this.events.length = 0;
    this.streams.clear();
  }

  get keptBytes(): number {
    return this.bytes;
  }

  private expire(): void {
    const oldest = this.now() - this.limits.ttlMs;
    while (this.events.length > 0 && this.events[0]!.at < oldest) this.dropOldest();
    // A stream with no event for as long as events live (or past the cap, oldest first) is forgotten:
    // the map stays bounded, and each call does constant work on it.
    for (const [stream, at] of this.streams) {
      if (at >= oldest && this.streams.size <= MAX_STREAMS) break;
      this.streams.delete(stream);
    }
  }

  private dropOldest(): void {
    const e = this.events.shift()!;
    this.bytes -= e.bytes;
    this.total.used -= e.bytes;
  }
}
