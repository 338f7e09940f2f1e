// The node's index of its session copies, in a SQLite file in the workspace
// (`index.sqlite`, 0600): per file its size, mtime, inode and hash, and the
// sequence number of its last change; per session an epoch and the current
// sequence. It is the hash cache (a file whose size, mtime and inode are
// unchanged is not read again) and the journal deltas are cut from (rows
// changed after the sequence the hub acknowledged). On disk rather than in
// memory: an idle node with 100,000 files keeps only SQLite's page cache.
// A deleted file stays as a tombstone until the hub has acknowledged it.
import { randomBytes } from 'node:crypto';
import { chmod, open } from 'node:fs/promises';
import type sqlite3 from 'sqlite3';
import { MeshError } from '../../errors.js';
import { PRIVATE_FILE_MODE } from '../fs/private-mode.js';

export interface IndexedFile {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
  seq: number;
}

/** A change found in a copy: a file added or changed (with its hash), or removed. */
export type CopyChange =
  | { path: string; removed?: false; size: number; mtimeMs: number; ino: number; sha256: string }
  | { path: string; removed: true };

export interface CopyHead {
  epoch: string;
  seq: number;
}

/** Folder of a POSIX relative path ('' for the root). */
export function folderOf(rel: string): string {
  const at = rel.lastIndexOf('/');
  return at < 0 ? '' : rel.slice(0, at);
}

/** Rows per INSERT: 8 parameters each, under SQLite's 999-parameter floor. */
const ROWS_PER_STATEMENT = 120;

const SCHEMA = [
  'PRAGMA journal_mode=WAL',
  // A lost tail after a power cut is noticed (the hub holds a later sequence) and mended by a full report.
  'PRAGMA synchronous=NORMAL',
  'CREATE TABLE IF NOT EXISTS copies (session TEXT PRIMARY KEY, epoch TEXT NOT NULL, seq INTEGER NOT NULL)',
  `CREATE TABLE IF NOT EXISTS files (session TEXT NOT NULL, path TEXT NOT NULL, dir TEXT NOT NULL, size INTEGER NOT NULL,
     mtime REAL NOT NULL, ino INTEGER NOT NULL, sha TEXT NOT NULL, seq INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (session, path)) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS files_dir ON files (session, dir)',
  'CREATE INDEX IF NOT EXISTS files_seq ON files (session, seq)',
];

interface Row {
  path: string;
  size: number;
  mtime: number;
  ino: number;
  sha: string;
  seq: number;
  removed: number;
}

function toFile(r: Row): IndexedFile {
  return { path: r.path, size: r.size, mtimeMs: r.mtime, ino: r.ino, sha256: r.sha, seq: r.seq };
}

export class CopyIndex {
  /** Writes run one at a time (a transaction spans several statements on the one connection). */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: sqlite3.Database) {}

  static async open(file: string): Promise<CopyIndex> {
    // Security: created 0600 before SQLite opens it (it would use 0644 less the umask).
    await (await open(file, 'a', PRIVATE_FILE_MODE)).close();
    await chmod(file, PRIVATE_FILE_MODE);
    // Loaded here, not at the top: the hub shares this module graph and must start where sqlite3 is not installed (the MCP Bundle).
    const { Database } = (await import('sqlite3')).default;
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new Database(file, (err) => (err ? reject(new MeshError('DISK_FAILED', `cannot open the node index ${file}: ${err.message}`)) : resolve(d)));
    });
    const index = new CopyIndex(db);
    for (const sql of SCHEMA) await index.run(sql);
    for (const companion of [`${file}-wal`, `${file}-shm`]) await chmod(companion, PRIVATE_FILE_MODE).catch(() => {});
    return index;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.db.close(() => resolve()));
  }

  private run(sql: string, params: unknown[] = []): Promise<void> {
    return new Promise((resolve, reject) => this.db.run(sql, params, (err) => (err ? reject(err) : resolve())));
  }

  private all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.writing.then(fn);
    this.writing = result.catch(() => {});
    return result;
  }

  private async transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.run('BEGIN IMMEDIATE');
      try {
        const value = await fn();
        await this.run('COMMIT');
        return value;
      } catch (err) {
        await this.run('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  /** The session's epoch and current sequence; a session seen for the first time gets a new epoch. */
  async head(session: string): Promise<CopyHead> {
    const [row] = await this.all<CopyHead>('SELECT epoch, seq FROM copies WHERE session = ?', [session]);
    if (row) return row;
    const fresh = { epoch: randomBytes(8).toString('hex'), seq: 0 };
    await this.exclusive(() => this.run('INSERT OR IGNORE INTO copies (session, epoch, seq) VALUES (?, ?, ?)', [session, fresh.epoch, fresh.seq]));
    return (await this.all<CopyHead>('SELECT epoch, seq FROM copies WHERE session = ?', [session]))[0];
  }

  /**
   * Start the session's sequence afresh under a new epoch (the hub holds a
   * sequence this index never reached: its tail was lost). Files are kept,
   * tombstones dropped: a full report follows.
   */
  async newEpoch(session: string): Promise<CopyHead> {
    const fresh = { epoch: randomBytes(8).toString('hex'), seq: 1 };
    await this.transaction(async () => {
      await this.run('DELETE FROM files WHERE session = ? AND removed = 1', [session]);
      await this.run('UPDATE files SET seq = 1 WHERE session = ?', [session]);
      await this.run('INSERT OR REPLACE INTO copies (session, epoch, seq) VALUES (?, ?, ?)', [session, fresh.epoch, fresh.seq]);
    });
    return fresh;
  }

  /** Files (not tombstones) directly in folder `dir`. */
  async filesIn(session: string, dir: string): Promise<IndexedFile[]> {
    return (await this.all<Row>('SELECT path, size, mtime, ino, sha, seq, removed FROM files WHERE session = ? AND dir = ? AND removed = 0', [session, dir])).map(toFile);
  }

  async file(session: string, rel: string): Promise<IndexedFile | undefined> {
    const [row] = await this.all<Row>('SELECT path, size, mtime, ino, sha, seq, removed FROM files WHERE session = ? AND path = ? AND removed = 0', [session, rel]);
    return row && toFile(row);
  }

  /** Folders that hold indexed files (not tombstones): the folder tree as the index knows it. */
  async folders(session: string): Promise<string[]> {
    return (await this.all<{ dir: string }>('SELECT DISTINCT dir FROM files WHERE session = ? AND removed = 0', [session])).map((r) => r.dir);
  }

  /** Folders below `dir` that hold indexed files ('' is the root: every other folder). */
  async foldersUnder(session: string, dir: string): Promise<string[]> {
    if (dir === '') return (await this.folders(session)).filter((d) => d !== '');
    // '/' + 1 is '0': the range holds exactly the paths that start with `dir/`.
    const rows = await this.all<{ dir: string }>('SELECT DISTINCT dir FROM files WHERE session = ? AND removed = 0 AND dir >= ? AND dir < ?', [session, `${dir}/`, `${dir}0`]);
    return rows.map((r) => r.dir);
  }

  /**
   * Record changes under the next sequence numbers, in one transaction;
   * returns the sequence before and after. Stat-only updates (same content,
   * new mtime or inode) go in `restat` and take no sequence number.
   */
  async apply(session: string, changes: readonly CopyChange[], restat: readonly Extract<CopyChange, { removed?: false }>[] = []): Promise<{ from: number; to: number }> {
    await this.head(session);
    return this.transaction(async () => {
      const [{ seq }] = await this.all<{ seq: number }>('SELECT seq FROM copies WHERE session = ?', [session]);
      let next = seq;
      // Rows go in batches of one statement each: a statement is a round trip to SQLite's thread.
      let batch: unknown[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const rows = batch.length / 8;
        await this.run(`INSERT OR REPLACE INTO files (session, path, dir, size, mtime, ino, sha, seq, removed) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?, 0)').join(', ')}`, batch);
        batch = [];
      };
      for (const c of changes) {
        next++;
        if (c.removed) {
          await flush();
          await this.run('UPDATE files SET removed = 1, seq = ? WHERE session = ? AND path = ?', [next, session, c.path]);
        } else {
          batch.push(session, c.path, folderOf(c.path), c.size, c.mtimeMs, c.ino, c.sha256, next);
          if (batch.length >= 8 * ROWS_PER_STATEMENT) await flush();
        }
      }
      await flush();
      for (const c of restat) await this.run('UPDATE files SET size = ?, mtime = ?, ino = ? WHERE session = ? AND path = ?', [c.size, c.mtimeMs, c.ino, session, c.path]);
      if (next !== seq) await this.run('UPDATE copies SET seq = ? WHERE session = ?', [next, session]);
      return { from: seq, to: next };
    });
  }

  /** Up to `limit` rows (tombstones included) changed after `seq`, in sequence order. */
  async changedSince(session: string, seq: number, limit: number): Promise<Array<IndexedFile & { removed: boolean }>> {
    const rows = await this.all<Row>('SELECT path, size, mtime, ino, sha, seq, removed FROM files WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?', [session, seq, limit]);
    return rows.map((r) => ({ ...toFile(r), removed: r.removed === 1 }));
  }

  /** Up to `limit` files (not tombstones) after `afterPath` in code-point order (SQLite's BINARY collation of UTF-8). */
  async filesAfter(session: string, afterPath: string | undefined, limit: number): Promise<IndexedFile[]> {
    const rows =
      afterPath === undefined
        ? await this.all<Row>('SELECT path, size, mtime, ino, sha, seq, removed FROM files WHERE session = ? AND removed = 0 ORDER BY path LIMIT ?', [session, limit])
        : await this.all<Row>('SELECT path, size, mtime, ino, sha, seq, removed FROM files WHERE session = ? AND removed = 0 AND path > ? ORDER BY path LIMIT ?', [session, afterPath, limit]);
    return rows.map(toFile);
  }

  /** Forget tombstones the hub has acknowledged. */
  async pruneRemoved(session: string, upToSeq: number): Promise<void> {
    await this.exclusive(() => this.run('DELETE FROM files WHERE session = ? AND removed = 1 AND seq <= ?', [session, upToSeq]));
  }

  /** Forget a session copy (the membership ended). */
  async dropSession(session: string): Promise<void> {
    await this.transaction(async () => {
      await this.run('DELETE FROM files WHERE session = ?', [session]);
      await this.run('DELETE FROM copies WHERE session = ?', [session]);
    });
  }
}
