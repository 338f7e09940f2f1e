// Layout of a node's workspace: one folder per session, the node's skills
// library, and nothing else the hub can reach.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { ensureDirDurable } from '../fs/durable.js';
import { recoverPromotions } from '../skills/index.js';
import { validateSessionName } from '../fs/paths.js';
import { finishRemovals } from '../fs/remove-move.js';

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

  /**
   * Start-up housekeeping: finish or roll back a skill install that a crash
   * interrupted. Partial deliveries (`.part-*`) are kept: they are resumed.
   */
  async recover(log: Logger): Promise<void> {
    await ensureDirDurable(this.sessionsRoot());
    await ensureDirDurable(this.skillsRoot());
    const sessions = await readdir(this.sessionsRoot());
    const report = await recoverPromotions(this.skillsRoot(), sessions.map((s) => path.join(this.sessionsRoot(), s)));
    if (report.removedTemp.length || report.removedIncomplete.length || report.restored.length || report.sites.length) {
      log.warn({ recovery: report }, 'recovered an interrupted skill install');
    }
    // A folder `rm` hid but did not empty before the node stopped: finish it.
    for (const session of sessions) {
      const finished = await finishRemovals(path.join(this.sessionsRoot(), session));
      if (finished.length > 0) log.info({ session, finished }, 'finished removals an earlier stop cut short');
    }
  }
}
