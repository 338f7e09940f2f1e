// Which port each node's file data last came over. A node that cannot reach
// the fetch port (a firewall that lets only the gRPC port through, an agent
// older than the fetch port) still gets every push over its main
// connection, so nothing fails: this is how an operator sees it, in the
// status views and in one warning each time a node moves to the main port.
import type { Logger } from '../../log.js';

export type FetchPort = 'fetch port' | 'main port';

export class FetchPaths {
  private readonly last = new Map<string, FetchPort>();

  constructor(
    private readonly log: Logger,
    /** The fetch port's HOST:PORT while the fetch worker serves, else undefined. */
    private readonly fetchAddress: () => string | undefined,
  ) {}

  /** A Fetch of `node` was admitted on `port`. */
  note(node: string, port: FetchPort): void {
    const before = this.last.get(node);
    this.last.set(node, port);
    const address = this.fetchAddress();
    if (port === 'main port' && before !== 'main port' && address) {
      this.log.warn(
        { node, grpcFetch: address },
        'node fetches file data on the main port: the fetch port is unreachable from it (let it through the firewall, or name a forwarded one with --hub-fetch on the node) or its agent predates it',
      );
    }
  }

  /** The port of each node's latest Fetch since the hub started. */
  byNode(): Record<string, FetchPort> {
    return Object.fromEntries(this.last);
  }
}
