// The audit log: one JSON line per tool call in <data>/audit.log, owner-only
// (0600), rotated by size into audit.log.1 ... audit.log.N (oldest dropped),
// so it never fills the disk. Appends are queued and written in order off
// the caller's path: a tool call never waits for the audit line, and lines
// that arrive within AUDIT_BATCH_MS share one write (one write per call was
// a tenth of a `cat`'s cost on the hub).
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';

export const AUDIT_FILE = 'audit.log';
/** Size at which the log is rotated, bytes. */
export const AUDIT_MAX_BYTES = 10 * 1024 * 1024;
/** Rotated files kept beside the live one. */
export const AUDIT_KEEP_FILES = 5;
/** Lines waiting to be written; past this, lines are dropped and counted (a stuck disk must not grow memory). */
export const AUDIT_MAX_QUEUED = 10_000;
/** How long a line may wait for others to share its write, ms; `flush` and `close` write at once. */
export const AUDIT_BATCH_MS = 100;

export interface AuditOptions {
  dir: string;
  maxBytes?: number;
  keepFiles?: number;
  /** Default AUDIT_BATCH_MS. */
  batchMs?: number;
  log: Logger;
}

/**
 * Renames that rotate `file` keeping `keep` old files, oldest first:
 * file.(keep-1) -> file.keep, ..., file -> file.1. What was file.keep is
 * overwritten by the first rename, so at most `keep` old files remain.
 */
export function rotationPlan(file: string, keep: number): Array<[from: string, to: string]> {
  const plan: Array<[string, string]> = [];
  for (let i = keep - 1; i >= 1; i--) plan.push([`${file}.${i}`, `${file}.${i + 1}`]);
  if (keep >= 1) plan.push([file, `${file}.1`]);
  return plan;
}

export class AuditLog {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private handle: FileHandle | undefined;
  private size = 0;
  private queue: string[] = [];
  private writing: Promise<void> | undefined;
  /** Set while queued lines wait for their batch to be written. */
  private timer: NodeJS.Timeout | undefined;
  /** Lines dropped because the queue was full. */
  dropped = 0;

  constructor(private readonly options: AuditOptions) {
    this.file = path.join(options.dir, AUDIT_FILE);
    this.maxBytes = options.maxBytes ?? AUDIT_MAX_BYTES;
    this.keep = options.keepFiles ?? AUDIT_KEEP_FILES;
  }

  /** Queue one record as a JSON line. */
  append(record: Record<string, unknown>): void {
    if (this.queue.length >= AUDIT_MAX_QUEUED) return void this.dropped++;
    this.queue.push(`${JSON.stringify(record)}\n`);
    this.schedule();
  }

  /** Resolves once every queued line is written. */
  async flush(): Promise<void> {
    if (this.timer) this.startDrain();
    while (this.writing) await this.writing;
  }

  /** A write for the queued lines in AUDIT_BATCH_MS, unless one is coming already (a running drain takes new lines too). */
  private schedule(): void {
    if (this.writing || this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => this.startDrain(), this.options.batchMs ?? AUDIT_BATCH_MS);
    // Lines never keep the process alive; close() writes what is queued.
    this.timer.unref();
  }

  private startDrain(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
      // Lines queued after the drain's last check wait for the next batch.
      this.schedule();
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const lines = this.queue;
      this.queue = [];
      try {
        await this.write(lines.join(''));
      } catch (err) {
        this.options.log.error({ file: this.file, lines: lines.length, err: (err as Error).message }, 'audit lines could not be written');
      }
    }
  }

  private async write(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text);
    let handle = this.handle ?? (await this.openFile());
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      await this.rotate();
      handle = await this.openFile();
    }
    await handle.appendFile(text);
    this.size += bytes;
  }

  private async openFile(): Promise<FileHandle> {
    // Security: a link planted at audit.log would send the lines elsewhere; O_NOFOLLOW refuses it.
    const handle = await open(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`${this.file} is not a regular file`);
      await handle.chmod(0o600); // whatever the umask, and a file left by an older version
      this.size = st.size;
    } catch (err) {
      await handle.close();
      throw err;
    }
    this.handle = handle;
    return handle;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    if (this.keep < 1) return void (await rm(this.file, { force: true }));
    for (const [from, to] of rotationPlan(this.file, this.keep)) {
      await rename(from, to).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
