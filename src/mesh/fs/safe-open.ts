// The I/O side of containment, checked on the handle that is used: a folder
// below a root is opened one segment at a time (safe-walk.ts), each handle is
// located (where the kernel says it is now, not where a path pointed a moment
// ago) and must lie inside the real root before anything in it is touched.
// Entries are then addressed through the handle (`/proc/self/fd/<fd>/<name>`,
// an openat() stand-in), so a folder swapped for a link after the check
// changes nothing. Writes through these handles are in safe-write.ts.
import { constants, lstat as lstatCallback, readlinkSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MeshError, toMeshError } from '../../errors.js';
import { isInside, linkError, specialError } from './paths.js';
import { PRIVATE_DIR_MODE } from './private-mode.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

let fdLinks: Promise<boolean> | undefined;

/** True where `/proc/self/fd/<fd>` names what an open handle refers to (Linux): the strong path. */
export function fdLinksWork(): Promise<boolean> {
  fdLinks ??= (async () => {
    if (process.platform !== 'linux') return false;
    try {
      const handle = await open('/', O_RDONLY | O_DIRECTORY);
      try {
        return (await readlink(`/proc/self/fd/${handle.fd}`)) === '/';
      } finally {
        await handle.close();
      }
    } catch {
      return false;
    }
  })();
  return fdLinks;
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function rootOpenError(root: string, err: unknown): MeshError {
  if (errnoOf(err) === 'ENOENT') return new MeshError('NOT_FOUND', `folder ${JSON.stringify(root)} does not exist`);
  return toMeshError(err);
}

/**
 * Where the object behind `handle` is now. On Linux the kernel says it
 * (readlink of the fd). Elsewhere (macOS) the path that was opened is
 * resolved and must still name the same device and inode; a window remains
 * between the two calls, so the Linux path is the strong one.
 */
async function locate(handle: FileHandle, opened: string, viaFd: boolean, rel: string): Promise<string> {
  // Asked without the thread pool, on purpose: procfs answers from the
  // kernel's own records of the open handle (no disk, nothing to wait for),
  // in microseconds, where a pool round trip for it was one of the five of a
  // `cat` and, on a loaded machine, cost the event loop a context switch.
  if (viaFd) return readlinkSync(`/proc/self/fd/${handle.fd}`);
  const real = await realpath(opened).catch(() => undefined);
  const [held, named] = await Promise.all([handle.stat(), real === undefined ? undefined : stat(real).catch(() => undefined)]);
  if (real === undefined || !named || held.dev !== named.dev || held.ino !== named.ino) {
    throw linkError(rel, 'changed while it was being opened');
  }
  return real;
}

export interface StepOptions {
  /** Create a missing folder (0700) and fsync its parent. Default false. */
  create?: boolean;
  /** What a file met where a folder was expected is reported as; default NOT_A_DIRECTORY. */
  notDir?: 'NOT_FOUND' | 'NOT_A_DIRECTORY';
  /** The whole path asked for, for messages; default the folder's own path. */
  want?: string;
}

/**
 * Folders outside a root that links met while reading may lead into (the
 * skills library). `rootOf` names the folder to walk from for a link target,
 * or undefined when the target may not be read. Writes never get one.
 */
export interface LinkScope {
  rootOf(where: string): string | undefined;
}

/** An open folder inside a root, located when it was opened. Close it. */
export class ContainedDir {
  private constructor(
    private readonly handle: FileHandle,
    /** realpath of the root: everything reached must stay inside it. */
    readonly realRoot: string,
    /** This folder relative to the root ('.' for the root itself). */
    readonly rel: string,
    /** Where the folder was when located; names entries where fd links are missing. */
    private readonly where: string,
    private readonly viaFd: boolean,
    /** Where links may lead besides the root, for reads; none by default. */
    private readonly scope?: LinkScope,
    /** Set on a lent copy (see lend): closing it gives the handle back instead of closing it. */
    private readonly giveBack?: () => void,
  ) {}

  /**
   * The same folder under the same checks, for a borrower whose close()
   * calls `giveBack` and leaves the handle open for its owner (a cached
   * root, root-handles.ts). The owner closes the handle itself.
   */
  lend(giveBack: () => void): ContainedDir {
    return new ContainedDir(this.handle, this.realRoot, this.rel, this.where, this.viaFd, this.scope, giveBack);
  }

  /** The link scope this folder was opened with. */
  get linkScope(): LinkScope | undefined {
    return this.scope;
  }

  /** Open the root folder itself; a missing root is NOT_FOUND. `scope`: see LinkScope. */
  static async openRoot(root: string, scope?: LinkScope): Promise<ContainedDir> {
    const viaFd = await fdLinksWork();
    return viaFd ? ContainedDir.openRootViaFd(root, scope) : ContainedDir.openRootByPath(root, scope);
  }

  /**
   * Linux: the root is opened as named (links in its path followed, as
   * realpath would) and the kernel says where the handle landed: that is the
   * real root, with no window between resolving and opening. Two round
   * trips to the thread pool, where realpath, open and a check took three.
   */
  private static async openRootViaFd(root: string, scope?: LinkScope): Promise<ContainedDir> {
    let handle: FileHandle;
    try {
      handle = await open(root, O_RDONLY | O_DIRECTORY);
    } catch (err) {
      throw rootOpenError(root, err);
    }
    try {
      const realRoot = await locate(handle, root, true, '.');
      return new ContainedDir(handle, realRoot, '.', realRoot, true, scope);
    } catch (err) {
      await handle.close();
      throw toMeshError(err);
    }
  }

  private static async openRootByPath(root: string, scope?: LinkScope): Promise<ContainedDir> {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new MeshError('NOT_FOUND', `folder ${JSON.stringify(root)} does not exist`);
      throw toMeshError(err);
    }
    let handle: FileHandle;
    try {
      handle = await open(realRoot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      if (errnoOf(err) === 'ELOOP') throw linkError('.', 'is a root that became a link while it was opened');
      throw rootOpenError(root, err);
    }
    try {
      // Security: the root swapped after realpath would make every check below relative to the wrong folder.
      if ((await locate(handle, realRoot, false, '.')) !== realRoot) throw linkError('.', 'is a root that moved while it was opened');
    } catch (err) {
      await handle.close();
      throw toMeshError(err);
    }
    return new ContainedDir(handle, realRoot, '.', realRoot, false, scope);
  }

  /** A path that names entry `name` of this folder through the handle, wherever the folder is now. */
  at(name: string): string {
    return this.viaFd ? `/proc/self/fd/${this.handle.fd}/${name}` : path.join(this.where, name);
  }

  /** A path that names this folder through the handle. */
  get self(): string {
    return this.viaFd ? `/proc/self/fd/${this.handle.fd}` : this.where;
  }

  /** Whether a located object may be read from here: inside the root, or where the scope admits. */
  contains(where: string): boolean {
    return isInside(this.realRoot, where) || this.scope?.rootOf(where) !== undefined;
  }

  /** The folder to walk from to reach `where` (a link target this folder admitted). */
  rootFor(where: string): string | undefined {
    return isInside(this.realRoot, where) ? this.realRoot : this.scope?.rootOf(where);
  }

  relOf(name: string): string {
    return this.rel === '.' ? name : `${this.rel}/${name}`;
  }

  /** Where the folder is now; PATH_OUTSIDE_SESSION when it was moved out of the root. */
  async located(): Promise<string> {
    const where = await locate(this.handle, this.where, this.viaFd, this.rel);
    if (!this.contains(where)) throw linkError(this.rel, 'was moved outside the root');
    return where;
  }

  stat(): Promise<Stats> {
    return this.handle.stat();
  }

  readdir(): Promise<string[]> {
    return readdir(this.self);
  }

  /**
   * lstat of entries `names` of this folder, through the handle; undefined
   * for an entry that is gone. Callbacks and one promise for the lot: a
   * promise or two per entry (each also seen by AsyncLocalStorage's hooks)
   * cost more than the calls themselves in a listing of 100 entries.
   */
  lstatAll(names: readonly string[]): Promise<Array<Stats | undefined>> {
    const out = new Array<Stats | undefined>(names.length);
    if (names.length === 0) return Promise.resolve(out);
    return new Promise((resolve) => {
      let left = names.length;
      names.forEach((name, i) =>
        lstatCallback(this.at(name), (err, st) => {
          out[i] = err ? undefined : st;
          if (--left === 0) resolve(out);
        }),
      );
    });
  }

  /** fsync the folder: entries created, renamed or removed in it are on disk. */
  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    if (this.giveBack) {
      this.giveBack();
      return Promise.resolve();
    }
    return this.handle.close().catch(() => {});
  }

  /**
   * Open sub-folder `name`. A link there may lead to another folder inside
   * (today's rule); where it lands is checked on the new handle.
   */
  async openChild(name: string, options: StepOptions = {}): Promise<ContainedDir> {
    const entry = this.at(name);
    for (let attempt = 0; ; attempt++) {
      let handle: FileHandle;
      try {
        // O_DIRECTORY refuses anything but a folder before it is opened, so a FIFO or device is never opened here.
        handle = await open(entry, O_RDONLY | O_DIRECTORY);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' && options.create && attempt === 0) {
          const made = await mkdir(entry, { mode: PRIVATE_DIR_MODE }).then(
            () => true,
            (e: unknown) => {
              if (errnoOf(e) === 'EEXIST') return false;
              throw toMeshError(e);
            },
          );
          if (made) await this.sync();
          continue;
        }
        throw await this.refusal(name, err, options);
      }
      return this.adopt(handle, entry, this.relOf(name), options.want);
    }
  }

  /**
   * Open entry `name` for reading without following a link there: a file
   * (non-blocking, so a FIFO cannot hang the open) or a folder. A link is
   * not opened; its real target is returned for the caller to walk again.
   */
  async openEntry(name: string, want: string): Promise<{ stat: Stats; file?: FileHandle; dir?: ContainedDir } | { link: string }> {
    let handle: FileHandle;
    try {
      handle = await open(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      if (errnoOf(err) !== 'ELOOP') throw await this.refusal(name, err, { want, notDir: 'NOT_FOUND' });
      const target = await realpath(this.at(name)).catch((e: unknown) => {
        throw errnoOf(e) === 'ELOOP' ? linkError(want, 'goes through a link loop') : linkError(want, 'is a broken link');
      });
      // Security: a link to outside ("notes -> ~/.ssh/id_ed25519") is refused, never opened.
      if (!this.contains(target)) throw linkError(want, 'resolves through a link to outside the session root');
      return { link: target };
    }
    try {
      // Both questions are asked of the opened handle, so they can be asked at once.
      const [st, where] = await Promise.all([handle.stat(), locate(handle, this.at(name), this.viaFd, want)]);
      if (st.isDirectory()) return { stat: st, dir: this.adoptAt(handle, where, this.relOf(name), want) };
      // Security: reading a FIFO blocks forever, a device can be endless or have side effects.
      if (!st.isFile()) throw specialError(want);
      if (!this.contains(where)) throw linkError(want, 'resolves to outside the session root');
      return { stat: st, file: handle };
    } catch (err) {
      await handle.close();
      throw toMeshError(err);
    }
  }

  /** Wrap a folder handle opened in this folder once it is located inside the root. */
  private async adopt(handle: FileHandle, opened: string, rel: string, want = rel): Promise<ContainedDir> {
    try {
      return this.adoptAt(handle, await locate(handle, opened, this.viaFd, want), rel, want);
    } catch (err) {
      await handle.close();
      throw toMeshError(err);
    }
  }

  /** adopt, for a handle already located at `where`; the caller closes the handle when this throws. */
  private adoptAt(handle: FileHandle, where: string, rel: string, want: string): ContainedDir {
    // Security: the handle decides, not the path: a folder swapped for a link
    // to outside after any earlier check is caught here, before it is used.
    if (!this.contains(where)) throw linkError(want, 'goes through a link that leads outside the session root');
    return new ContainedDir(handle, this.realRoot, rel, where, this.viaFd, this.scope);
  }

  /** The error for a failed open of `name` in this folder. */
  private async refusal(name: string, err: unknown, options: StepOptions): Promise<MeshError> {
    const want = options.want ?? this.relOf(name);
    const code = errnoOf(err);
    if (code === 'ELOOP') return linkError(want, 'goes through a link loop');
    const entry = await lstat(this.at(name)).catch(() => undefined);
    if (entry?.isSymbolicLink()) {
      // Security: a link that leads outside (or nowhere) is named as such;
      // NOT_FOUND or NOT_A_DIRECTORY would tell what exists out there.
      const target = await realpath(this.at(name)).catch(() => undefined);
      if (target === undefined) return linkError(want, 'goes through a broken link');
      if (!this.contains(target)) return linkError(want, 'goes through a link that leads outside the session root');
    }
    if (code === 'ENOENT') return new MeshError('NOT_FOUND', `path ${JSON.stringify(want)} does not exist`);
    if (code === 'ENOTDIR') {
      if (options.notDir === 'NOT_FOUND') return new MeshError('NOT_FOUND', `path ${JSON.stringify(want)} does not exist`);
      return new MeshError('NOT_A_DIRECTORY', `path ${JSON.stringify(want)} goes through a file`, { parent: this.relOf(name) });
    }
    if (code === 'ENXIO' || code === 'EOPNOTSUPP') return specialError(want);
    return toMeshError(err);
  }
}

/**
 * For code that must open by path (a real path found by an earlier walk):
 * the file behind `handle`, opened from `opened` with O_NOFOLLOW, must lie
 * inside `realRoot` now, whatever happened to the folders on the way.
 */
export async function checkHandleInside(handle: FileHandle, opened: string, realRoot: string, rel: string): Promise<void> {
  const where = await locate(handle, opened, await fdLinksWork(), rel);
  // Security: a parent folder swapped for a link after the walk leads the open outside; the handle shows it.
  if (!isInside(realRoot, where)) throw linkError(rel, 'resolves to outside the session root');
}
