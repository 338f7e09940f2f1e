// One attached node as the hub sees it: its control stream, and the requests
// awaiting a reply on it. Every pending request is settled in exactly one
// place (`close`), so a node that drops never leaves a caller hanging.
import type * as grpc from '@grpc/grpc-js';
import { MeshError, toMeshError } from '../../errors.js';
import { currentRequestId } from '../../request-context.js';
import { checkReply } from '../protocol/frame-checks.js';
import {
  REPLY_FIELD,
  type HubFrame,
  type HubFrameOut,
  type NodeFrame,
  type Reply,
  type ReplyResults,
  type RequestOp,
  type RequestOps,
} from '../protocol/frames.js';

interface Pending {
  op: RequestOp;
  payload: unknown;
  resolve(value: unknown): void;
  reject(err: MeshError): void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
  signal?: AbortSignal;
}

export interface RequestOptions {
  /** Default 30,000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Control frames the hub holds for a node that does not read them, before it drops the node. */
export const MAX_UNREAD_FRAMES = 1_024;

export type ControlCall = grpc.ServerDuplexStream<NodeFrame, HubFrame>;

/**
 * Request ids are unique across every link of this hub process, not per link:
 * a reply that a node sends late, for a request of a stream that has since
 * been replaced, can then never be taken for the answer to another request.
 */
let nextRequestId = 1;

export class NodeLink {
  private readonly pending = new Map<number, Pending>();
  private closedWith: MeshError | undefined;
  readonly attachedAt = Date.now();
  lastSeen = Date.now();

  constructor(
    readonly nodeId: string,
    private readonly call: ControlCall,
    readonly peer: string,
  ) {}

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  send(frame: HubFrameOut): void {
    if (this.closed) return;
    this.call.write(frame as unknown as HubFrame);
    // Security: a node that stops reading its control stream must not make the hub buffer frames for it without end.
    // (The call is an object-mode stream: its writable length counts frames.)
    if (this.call.writableLength > MAX_UNREAD_FRAMES) {
      this.close(new MeshError('LIMIT_EXCEEDED', `node ${this.nodeId} left more than ${MAX_UNREAD_FRAMES} frames of its control stream unread`, { node: this.nodeId }));
    }
  }

  request<K extends RequestOp>(op: K, payload: RequestOps[K], options: RequestOptions = {}): Promise<ReplyResults[K]> {
    if (this.closedWith) return Promise.reject(offline(this.nodeId));
    const id = nextRequestId++;
    return new Promise<ReplyResults[K]>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 30_000;
      const entry: Pending = {
        op,
        payload,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: setTimeout(() => {
          this.settle(id)?.reject(new MeshError('NODE_TIMEOUT', `node ${this.nodeId} did not answer ${op} within ${timeoutMs} ms`));
        }, timeoutMs),
        signal: options.signal,
      };
      if (options.signal) {
        if (options.signal.aborted) {
          clearTimeout(entry.timer);
          reject(new MeshError('CANCELLED', `${op} on node ${this.nodeId} was cancelled`));
          return;
        }
        entry.onAbort = () => this.settle(id)?.reject(new MeshError('CANCELLED', `${op} on node ${this.nodeId} was cancelled`));
        options.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      // The tool call this request serves, so that the node's log lines for it carry the same id.
      const requestId = currentRequestId();
      this.send({ request: { id, [op]: payload, ...(requestId ? { requestId } : {}) } });
    });
  }

  handleReply(reply: Reply): void {
    const entry = this.settle(Number(reply.id));
    if (!entry) return; // late reply after a timeout or cancel
    if (reply.error && reply.error.code) {
      entry.reject(MeshError.fromWire(reply.error));
      return;
    }
    const field = REPLY_FIELD[entry.op];
    try {
      // Security: a node's reply is checked against the request it answers before anyone uses it.
      entry.resolve(checkReply(entry.op, entry.payload as never, reply[field]));
    } catch (err) {
      entry.reject(toMeshError(err));
    }
  }

  /** Close the link: every pending request fails with `reason` (NODE_OFFLINE by default). */
  close(reason: MeshError = offline(this.nodeId)): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(reason);
    try {
      this.call.end();
    } catch {
      // the stream may already be gone
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
  }
}

export function offline(nodeId: string): MeshError {
  return new MeshError('NODE_OFFLINE', `node ${nodeId} is not attached`, { node: nodeId });
}
