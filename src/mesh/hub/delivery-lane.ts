// One lane per node: the deliveries queued for that node run here, at most
// LANE_CONCURRENCY at a time, independently of every other node's lane. A
// slow node fills only its own lane; nothing in it buffers file data (nodes
// pull chunks themselves), so a lane's memory is a queue of transfer ids.

/** Deliveries one node receives at once. */
export const LANE_CONCURRENCY = 2;

export type RunDelivery = (node: string, transferId: string) => Promise<void>;

export class DeliveryLane {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private active = 0;

  constructor(
    readonly node: string,
    private readonly run: RunDelivery,
  ) {}

  /** Queue a transfer for this node; a transfer already queued or running is not queued twice. */
  enqueue(transferId: string): void {
    if (this.queued.has(transferId)) return;
    this.queued.add(transferId);
    this.queue.push(transferId);
    this.pump();
  }

  get size(): number {
    return this.queued.size;
  }

  private pump(): void {
    while (this.active < LANE_CONCURRENCY && this.queue.length > 0) {
      const transferId = this.queue.shift()!;
      this.active++;
      this.run(this.node, transferId)
        .catch(() => {}) // the runner records its own outcome
        .finally(() => {
          this.active--;
          this.queued.delete(transferId);
          this.pump();
        });
    }
  }
}
