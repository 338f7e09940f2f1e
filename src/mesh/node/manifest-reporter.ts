// Tells the hub what each session copy holds: on attach, after a join, and
// whenever a periodic rescan sees a change. Hashes are cached by size and
// mtime, so a rescan of an unchanged copy reads no file contents.
import { createHash } from 'node:crypto';
import { toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { HashCache, scanManifest } from '../fs/manifest.js';
import type { NodeFrameOut } from '../protocol/frames.js';
import type { NodeWorkspace } from './workspace.js';

export class ManifestReporter {
  private readonly caches = new Map<string, HashCache>();
  /** Fingerprint of the last manifest sent per session; reset on every attach. */
  private readonly lastSent = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();

  constructor(
    private readonly workspace: NodeWorkspace,
    private readonly send: (frame: NodeFrameOut) => void,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(sessions: () => string[]): void {
    this.stop();
    this.lastSent.clear();
    const tick = () => {
      this.scanning = this.scanning.then(() => this.scanAll(sessions()));
    };
    tick();
    if (this.intervalMs > 0) this.timer = setInterval(tick, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Scan one session now and send its manifest even if unchanged. */
  async reportNow(session: string): Promise<void> {
    this.lastSent.delete(session);
    this.scanning = this.scanning.then(() => this.scanAll([session]));
    await this.scanning;
  }

  private async scanAll(sessions: string[]): Promise<void> {
    for (const session of sessions) {
      try {
        let cache = this.caches.get(session);
        if (!cache) this.caches.set(session, (cache = new HashCache()));
        // A delivery that lands during the scan makes the result stale (it
        // would report as missing a file the hub just confirmed): scan again.
        let entries;
        for (let tries = 0; ; tries++) {
          const generation = this.workspace.generation(session);
          entries = await scanManifest(this.workspace.sessionRoot(session), cache);
          if (generation === this.workspace.generation(session) || tries >= 3) break;
        }
        const fingerprint = createHash('sha256').update(JSON.stringify(entries)).digest('hex');
        if (this.lastSent.get(session) === fingerprint) continue;
        this.lastSent.set(session, fingerprint);
        this.send({ manifest: { session, entries } });
      } catch (err) {
        this.log.warn({ session, err: toMeshError(err).message }, 'manifest scan failed');
      }
    }
  }
}
