// The nodes attached right now. A node that attaches again (a reconnect that
// beat the old stream's timeout) replaces its previous link, which is closed.
import { EventEmitter } from 'node:events';
import { type NodeLink } from './node-link.js';

export interface RegistryEvents {
  attached: [link: NodeLink];
  detached: [link: NodeLink];
}

export class Registry extends EventEmitter<RegistryEvents> {
  private readonly links = new Map<string, NodeLink>();

  get(nodeId: string): NodeLink | undefined {
    return this.links.get(nodeId);
  }

  isOnline(nodeId: string): boolean {
    return this.links.has(nodeId);
  }

  online(): string[] {
    return [...this.links.keys()].sort();
  }

  add(link: NodeLink): void {
    const previous = this.links.get(link.nodeId);
    this.links.set(link.nodeId, link);
    if (previous && previous !== link) {
      previous.close();
      this.emit('detached', previous);
    }
    this.emit('attached', link);
  }

  /** Remove `link` if it is still the current one for its node. */
  remove(link: NodeLink): void {
    if (this.links.get(link.nodeId) === link) {
      this.links.delete(link.nodeId);
      this.emit('detached', link);
    }
    link.close();
  }

  closeAll(): void {
    for (const link of [...this.links.values()]) this.remove(link);
  }
}
