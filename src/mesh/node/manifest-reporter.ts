// Tells the hub what each session copy holds, cheaply. Changes are found by
// a watcher (folders rescanned after a quiet period) and by a verification
// scan at attach and on a long interval, paced to a share of a core; they are
// recorded in the node's index (copy-index.ts) under sequence numbers. The
// hub says which sequence it holds (ManifestAck); the node then sends only
// what changed since (ManifestDelta), or a full report when the hub holds
// nothing it can continue from.
//
// Per session, everything that reads or writes the index (a folder scan, a
// delivery being recorded, a report being sent) runs in one queue: a delta is
// always cut from a settled index, and a delivery recorded before its reply
// comes before any later scan's result on the ordered control stream, so the
// hub never sees an older scan contradict a delivery it confirmed.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { toMeshError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ManifestAck, NodeFrameOut } from '../protocol/frames.js';
import { CopyIndex, type CopyChange } from './copy-index.js';
import { removedFolder, scanFolder } from './copy-scan.js';
import { CopyWatcher } from './copy-watcher.js';
import { sendFull, sendRecorded, sendSince } from './manifest-frames.js';
import { ScanPacer } from './scan-pacer.js';
import type { NodeWorkspace } from './workspace.js';

/** Default interval of the verification scan, ms: one hour. */
export const DEFAULT_SCAN_INTERVAL_MS = 3_600_000;

export interface ReporterOptions {
  /** Verification scan interval, ms; 0: only at attach. */
  scanIntervalMs: number;
  /** Watch session copies for changes; false: scans only. */
  watch: boolean;
  /** Share of one core a verification scan may use. Default 0.25. */
  scanShare?: number;
  /** Watcher quiet period, ms. Default 100. */
  quietMs?: number;
  /** Test hook: drop watcher events, as a full kernel queue would. */
  dropWatchEvent?(session: string, folder: string): boolean;
  /** Test hook: awaited between a folder's scan and recording what it found, to widen the window a race needs. */
  afterFolderScan?(): Promise<void>;
}

interface CopyState {
  session: string;
  queue: Promise<void>;
  /** The hub told this attachment which sequence it holds: deltas may flow. */
  synced: boolean;
  /** Last sequence sent to the hub in this attachment. */
  sentSeq?: number;
  /** The hub refused this copy's manifest until the next attach. */
  refused: boolean;
  watcher?: CopyWatcher;
  scanning?: Promise<void>;
  /** Another verification was asked for while one ran. */
  again?: boolean;
  /** Folders looked at again because a file in them was changing, and how many times so far. */
  unsettled: Map<string, number>;
}

/** Looks again at a folder whose files were changing while hashed, before leaving it to the next scan. */
const UNSETTLED_RETRIES = 5;


export class ManifestReporter {
  private index: CopyIndex | undefined;
  private readonly copies = new Map<string, CopyState>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly workspace: NodeWorkspace,
    /** Resolves once the stream can take the next frame. */
    private readonly send: (frame: NodeFrameOut) => Promise<void>,
    private readonly log: Logger,
    private readonly options: ReporterOptions,
  ) {}

  /** Open the index; call once before anything else. */
  async open(): Promise<void> {
    this.index = await CopyIndex.open(path.join(this.workspace.root, 'index.sqlite'));
  }

  private get idx(): CopyIndex {
    if (!this.index) throw new Error('ManifestReporter.open() was not called');
    return this.index;
  }

  private copy(session: string): CopyState {
    let c = this.copies.get(session);
    if (!c) this.copies.set(session, (c = { session, queue: Promise.resolve(), synced: false, refused: false, unsettled: new Map() }));
    return c;
  }

  /** Run `fn` in the session's queue. */
  private enqueue<T>(c: CopyState, fn: () => Promise<T>): Promise<T> {
    const result = c.queue.then(fn);
    c.queue = result.then(
      () => {},
      (err) => this.log.warn({ session: c.session, err: toMeshError(err).message }, 'manifest work failed'),
    );
    return result;
  }

  /** Attached with these sessions: watch them, verify them, and wait for the hub's acknowledgements. */
  attached(sessions: readonly string[]): void {
    for (const c of this.copies.values()) {
      c.synced = false;
      c.sentSeq = undefined;
      c.refused = false;
    }
    for (const s of sessions) this.track(s);
    clearInterval(this.timer);
    if (this.options.scanIntervalMs > 0) {
      this.timer = setInterval(() => {
        for (const c of this.copies.values()) void this.verify(c);
      }, this.options.scanIntervalMs);
      this.timer.unref();
    }
  }

  /** Detached: nothing is sent until the next attach's acknowledgements; watching goes on. */
  detached(): void {
    for (const c of this.copies.values()) {
      c.synced = false;
      c.sentSeq = undefined;
    }
  }

  /** Start watching and verifying one session copy (at attach, or after a join). */
  track(session: string): void {
    const c = this.copy(session);
    if (this.options.watch && !c.watcher) {
      c.watcher = new CopyWatcher({
        root: this.workspace.sessionRoot(session),
        quietMs: this.options.quietMs,
        onChange: (folders) => void this.rescan(c, folders),
        onOverflow: (folders, reason) => this.watcherOverflowed(session, folders, reason),
        dropEvent: this.options.dropWatchEvent && ((folder) => this.options.dropWatchEvent!(session, folder)),
      });
    }
    void this.verify(c);
  }

  /** The watcher lost events (or may have): scan where, or the whole copy when it cannot say. */
  watcherOverflowed(session: string, folders: string[] | undefined, reason: string): void {
    const c = this.copies.get(session);
    if (!c) return;
    this.log.warn({ session, folders: folders?.slice(0, 5), reason }, 'watcher lost events; scanning');
    if (folders) void this.rescan(c, folders);
    else void this.verify(c);
  }

  /** The membership ended: stop watching, forget the copy's index. */
  async untrack(session: string): Promise<void> {
    const c = this.copies.get(session);
    if (!c) return;
    c.watcher?.close();
    this.copies.delete(session);
    await this.enqueue(c, () => this.idx.dropSession(session)).catch(() => {});
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const c of this.copies.values()) c.watcher?.close();
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.copies.values()].map((c) => c.queue));
    await this.index?.close();
  }

  /** The hub's acknowledgement for one session. */
  onAck(ack: ManifestAck): void {
    // Made here if need be: the acknowledgement of a join can come before the join is handled.
    const c = this.copy(ack.session);
    // A disk that fails the index (EIO on its fsync) must not take the agent down: reporting waits for the next attach.
    this.takeAck(c, ack).catch((err: unknown) => this.log.warn({ session: ack.session, err: toMeshError(err).message }, 'manifest acknowledgement not taken'));
  }

  private async takeAck(c: CopyState, ack: ManifestAck): Promise<void> {
    // A full report waits for a verification scan under way (the first one fills a fresh index): one report of
    // every file costs the hub far less than a delta per folder, and until the ack is taken nothing is sent.
    if (!c.synced && (ack.full || !ack.epoch) && c.scanning) await c.scanning;
    await this.enqueue(c, async () => {
      if (ack.error?.code) {
        c.refused = true;
        this.log.warn({ session: ack.session, code: ack.error.code, err: ack.error.message }, 'the hub refused this manifest; reporting stops until the next attach');
        return;
      }
      let head = await this.idx.head(c.session);
      if (!c.synced) {
        c.synced = true;
        if (ack.full || ack.epoch !== head.epoch) return this.sendFull(c);
        if (Number(ack.seq) > head.seq) {
          // The hub holds more than this index: its tail was lost (power cut). Start afresh.
          head = await this.idx.newEpoch(c.session);
          return this.sendFull(c);
        }
        return this.sendSince(c, Number(ack.seq));
      }
      if (ack.full) return this.sendFull(c);
      if (ack.epoch === head.epoch) await this.idx.pruneRemoved(c.session, Number(ack.seq));
    });
  }

  /**
   * A delivery landed at `rel` with this size and hash: record it before the
   * reply goes out, so the hub hears of it before anything that follows.
   */
  async noteDelivered(session: string, rel: string, size: number, sha256: string): Promise<void> {
    const c = this.copies.get(session);
    if (!c) return;
    await this.enqueue(c, async () => {
      const st = await lstat(path.join(this.workspace.sessionRoot(session), ...rel.split('/'))).catch(() => undefined);
      // Changed again since the rename (or not there): the watcher's next batch says what it is now.
      if (!st?.isFile() || st.size !== size) return;
      const known = await this.idx.file(session, rel);
      const entry = { path: rel, size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
      if (known && known.sha256 === sha256 && known.size === size) {
        if (known.mtimeMs !== st.mtimeMs || known.ino !== st.ino) await this.idx.apply(session, [], [entry]);
        return;
      }
      await this.record(c, [entry]);
    });
  }

  /** Scan these folders (watcher batch); new sub-folders are scanned whole and watched. */
  private async rescan(c: CopyState, folders: string[]): Promise<void> {
    const pacer = new ScanPacer(1);
    const pending = [...folders];
    // Never rejects (fired and forgotten); what a failed rescan missed, the next verification scan finds.
    try {
      for (let folder = pending.pop(); folder !== undefined && !this.stopped; folder = pending.pop()) {
        const f = folder;
        const found = await this.enqueue(c, () => this.scanOne(c, f, pacer));
        for (const sub of found) {
          if (c.watcher && !c.watcher.has(sub)) {
            c.watcher.add(sub);
            pending.push(sub); // new: everything in it is new too
          }
        }
      }
    } catch (err) {
      this.log.warn({ session: c.session, err: toMeshError(err).message }, 'folder rescan failed; the next verification scan covers it');
    }
  }

  /** Scan one folder and record what changed; returns its sub-folders. */
  private async scanOne(c: CopyState, folder: string, pacer: ScanPacer): Promise<string[]> {
    const scan = await scanFolder({ root: this.workspace.sessionRoot(c.session), session: c.session, index: this.idx, rel: folder, pacer });
    await this.options.afterFolderScan?.();
    // Sub-folders the index knows but the listing lacks are gone.
    const present = new Set(scan.folders);
    const gone = new Set<string>();
    for (const known of await this.idx.foldersUnder(c.session, folder)) {
      const child = folder === '' ? known.split('/')[0] : `${folder}/${known.slice(folder.length + 1).split('/')[0]}`;
      if (!present.has(child)) gone.add(child);
    }
    const changes = [...scan.changes];
    for (const g of gone) {
      changes.push(...(await removedFolder(this.idx, c.session, g)));
      c.watcher?.remove(g);
    }
    if (changes.length > 0) await this.record(c, changes);
    if (scan.restat.length > 0) await this.idx.apply(c.session, [], scan.restat);
    // A file still being written is looked at again soon, a few times; one that stays unreadable is left to the next scan.
    const tries = (c.unsettled.get(folder) ?? 0) + 1;
    if (scan.unsettled && tries <= UNSETTLED_RETRIES) {
      c.unsettled.set(folder, tries);
      setTimeout(() => void this.rescan(c, [folder]), 200 * tries).unref();
    } else c.unsettled.delete(folder);
    return scan.folders;
  }

  /** Verification scan of a whole copy, paced; one at a time per session. */
  private verify(c: CopyState): Promise<void> {
    if (c.scanning) {
      // Asked while one runs (an overflow behind the scan's position): one more follows it.
      c.again = true;
      return c.scanning;
    }
    c.scanning = this.verifyNow(c).finally(() => {
      c.scanning = undefined;
      if (c.again && !this.stopped) {
        c.again = false;
        void this.verify(c);
      }
    });
    return c.scanning;
  }

  private async verifyNow(c: CopyState): Promise<void> {
    const pacer = new ScanPacer(this.options.scanShare ?? 0.25);
    const started = performance.now();
    const visited = new Set<string>();
    const pending = [''];
    // Never rejects: its callers fire and forget, and a failing disk must not take the agent down.
    try {
      await this.workspace.ensureSession(c.session);
      for (let folder = pending.pop(); folder !== undefined && !this.stopped; folder = pending.pop()) {
        const f = folder;
        visited.add(f);
        c.watcher?.add(f);
        const subs = await this.enqueue(c, () => this.scanOne(c, f, pacer));
        pacer.restart();
        pending.push(...subs);
        await pacer.pace();
      }
      if (this.copies.get(c.session) === c && !this.stopped) {
        this.log.info({ session: c.session, folders: visited.size, ms: Math.round(performance.now() - started) }, 'session copy verified');
      }
    } catch (err) {
      this.log.warn({ session: c.session, err: toMeshError(err).message }, 'verification scan failed');
    }
  }

  /** Record changes in the index and, when in step with the hub, send them. In the queue. */
  private async record(c: CopyState, changes: CopyChange[]): Promise<void> {
    const { from } = await this.idx.apply(c.session, changes);
    // Not in step with the hub: sent from the index after the next acknowledgement.
    if (!c.synced || c.refused || c.sentSeq === undefined) return;
    if (c.sentSeq !== from) return this.sendSince(c, c.sentSeq);
    const { epoch } = await this.idx.head(c.session);
    c.sentSeq = await sendRecorded(epoch, c.session, from, changes, this.send);
  }

  /** In the queue. */
  private async sendSince(c: CopyState, seq: number): Promise<void> {
    c.sentSeq = await sendSince(this.idx, c.session, seq, this.send);
  }

  /** In the queue. */
  private async sendFull(c: CopyState): Promise<void> {
    c.sentSeq = await sendFull(this.idx, c.session, this.send);
  }
}
