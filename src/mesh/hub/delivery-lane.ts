// One lane per node: the deliveries queued for that node run here, at most
// LANE_CONCURRENCY at a time, independently of every other node's lane. A
// slow node fills only its own lane; nothing in it buffers file data (nodes
// pull chunks themselves), so a lane's memory is a queue of transfer ids.
//
// Two deliveries of the same file never run at once on one node: the later
// waits, so the last writer wins on the node as on the mirror.

/** Deliveries one node receives at once. */
export const LANE_CONCURRENCY = 2;

export type RunDelivery = (node: string, transferId: string) => Promise<void>;

interface Item {
  transferId: string;
  /** Deliveries with the same key (session and path) run one after another. */
  key: string;
}

export class DeliveryLane {
  private readonly queue: Item[] = [];
  private readonly queued = new Set<string>();
  private readonly activeKeys = new Set<string>();
  /** Enqueued again while running (e.g. the node re-attached): run once more after. */
  private readonly again = new Set<string>();
  private active = 0;

  constructor(
    readonly node: string,
    private readonly run: RunDelivery,
  ) {}

  /** Queue a transfer for this node; one already queued is not queued twice, one running runs again after. */
  enqueue(transferId: string, key: string): void {
    if (this.queued.has(transferId)) {
      if (!this.queue.some((i) => i.transferId === transferId)) this.again.add(transferId);
      return;
    }
    this.queued.add(transferId);
    this.queue.push({ transferId, key });
    this.pump();
  }

  get size(): number {
    return this.queued.size;
  }

  private pump(): void {
    while (this.active < LANE_CONCURRENCY) {
      const index = this.queue.findIndex((i) => !this.activeKeys.has(i.key));
      if (index < 0) return;
      const [item] = this.queue.splice(index, 1) as [Item];
      this.active++;
      this.activeKeys.add(item.key);
      this.run(this.node, item.transferId)
        .catch(() => {}) // the runner records its own outcome
        .finally(() => {
          this.active--;
          this.activeKeys.delete(item.key);
          if (this.again.delete(item.transferId)) this.queue.push(item);
          else this.queued.delete(item.transferId);
          this.pump();
        });
    }
  }
}
