// Layout of a node's workspace: one folder per session, the node's skills
// library, and nothing else the hub can reach.
import path from 'node:path';
import { ensureDirDurable } from '../fs/durable.js';
import { validateSessionName } from '../fs/paths.js';

export class NodeWorkspace {
  /** Bumped whenever the mesh itself changes a session copy (a delivery landed). */
  private readonly generations = new Map<string, number>();

  constructor(readonly root: string) {}

  generation(session: string): number {
    return this.generations.get(session) ?? 0;
  }

  noteChanged(session: string): void {
    this.generations.set(session, this.generation(session) + 1);
  }

  sessionsRoot(): string {
    return path.join(this.root, 'sessions');
  }

  sessionRoot(session: string): string {
    return path.join(this.sessionsRoot(), validateSessionName(session));
  }

  skillsRoot(): string {
    return path.join(this.root, 'skills');
  }

  async ensureSession(session: string): Promise<string> {
    const dir = this.sessionRoot(session);
    await ensureDirDurable(dir);
    return dir;
  }

  /** Start-up housekeeping. Partial deliveries (`.part-*`) are kept: they are resumed. */
  async recover(): Promise<void> {
    await ensureDirDurable(this.sessionsRoot());
    await ensureDirDurable(this.skillsRoot());
  }
}
