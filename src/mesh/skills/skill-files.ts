// File-level I/O of the skills module: a bounded walk over a skill folder,
// streaming SHA-256, and copies that hash what they write. Everything is
// async and chunked so a 16 MiB skill never blocks the event loop (a blocked
// loop would stop the lock's heartbeat and lose the lock).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { SKILL_META_FILE, type SkillLimits } from './skill-manifest.js';
import { isInside } from '../fs/paths.js';
import { PRIVATE_EXEC_MODE, PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import { checkHandleInside } from '../fs/safe-open.js';

const CHUNK = 64 * 1024;

/** One regular file found by `walkSkillTree`. */
export interface TreeFile {
  /** Relative to the walked folder, "/" separators. */
  path: string;
  /** Real absolute path of the file to read (links resolved). */
  source: string;
  /** Bytes, at the time of the walk. */
  size: number;
  executable: boolean;
  /** The real root `source` must still be inside when it is opened (the session, when walked with `linkRoot`). */
  inside?: string;
}

export interface WalkOptions {
  limits: SkillLimits;
  /**
   * Links are followed when they resolve inside this real root (a session),
   * refused with PATH_OUTSIDE_SESSION (rule 'link') otherwise. Without it,
   * any link is refused: library copies hold regular files only.
   */
  linkRoot?: string;
}

function tooLarge(what: string, limit: number, details: Record<string, unknown> = {}): MeshError {
  return new MeshError('TOO_LARGE', `skill folder has more than ${limit} ${what}`, { limit, ...details });
}

/**
 * Regular files below `dir` (its top-level `.skill.json` left out), sorted by
 * path. Bounded by `limits` in files, bytes, folders and depth; special files
 * are refused with PATH_SPECIAL_FILE.
 */
export async function walkSkillTree(dir: string, options: WalkOptions): Promise<TreeFile[]> {
  const { limits, linkRoot } = options;
  const files: TreeFile[] = [];
  let bytes = 0;
  let folders = 0;
  const root = await realpath(dir);
  const visited = new Set<string>([root]);
  const stack: Array<{ real: string; prefix: string; depth: number }> = [{ real: root, prefix: '', depth: 0 }];
  while (stack.length > 0) {
    const { real, prefix, depth } = stack.pop()!;
    const names = (await readdir(real)).sort();
    for (const name of names) {
      if (prefix === '' && name === SKILL_META_FILE) continue;
      const rel = prefix ? `${prefix}/${name}` : name;
      const abs = path.join(real, name);
      let info = await lstat(abs);
      let target = abs;
      if (info.isSymbolicLink()) {
        if (linkRoot === undefined) {
          throw new MeshError('PATH_SPECIAL_FILE', `unexpected link "${rel}" in a library copy`, { path: rel });
        }
        target = await resolveLinkInside(linkRoot, abs, rel);
        info = await stat(target);
      }
      if (info.isDirectory()) {
        if (depth + 1 > limits.maxDepth) throw tooLarge('levels of folders', limits.maxDepth, { path: rel });
        if (++folders > limits.maxFiles) throw tooLarge('folders', limits.maxFiles);
        // A link back to an ancestor would make the walk endless.
        if (visited.has(target)) throw new MeshError('SKILL_INVALID', `link "${rel}" leads into a loop`, { path: rel });
        visited.add(target);
        stack.push({ real: target, prefix: rel, depth: depth + 1 });
      } else if (info.isFile()) {
        if (files.length + 1 > limits.maxFiles) throw tooLarge('files', limits.maxFiles);
        bytes += info.size;
        if (bytes > limits.maxBytes) throw tooLarge('bytes', limits.maxBytes);
        const file: TreeFile = { path: rel, source: target, size: info.size, executable: (info.mode & 0o111) !== 0 };
        if (linkRoot !== undefined) file.inside = linkRoot;
        files.push(file);
      } else {
        throw new MeshError('PATH_SPECIAL_FILE', `"${rel}" is not a regular file, folder or link`, { path: rel });
      }
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Real path of link `abs`, which must resolve inside `root`. */
async function resolveLinkInside(root: string, abs: string, rel: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // A dangling link still must not point outside: say which rule it breaks.
    const textual = path.resolve(path.dirname(abs), await readlink(abs));
    if (!isInside(root, textual)) {
      throw new MeshError('PATH_OUTSIDE_SESSION', `link "${rel}" points outside the session`, { rule: 'link', path: rel });
    }
    throw new MeshError('NOT_FOUND', `link "${rel}" points to nothing`, { path: rel });
  }
  // Security: a link to /etc/passwd (or another session) would copy foreign
  // files into the shared library and on to every node.
  if (!isInside(root, real)) {
    throw new MeshError('PATH_OUTSIDE_SESSION', `link "${rel}" points outside the session`, { rule: 'link', path: rel });
  }
  return real;
}

// Security: O_NOFOLLOW refuses a file swapped for a link after the walk.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Open `file` to read it, without following a link; when `inside` is given the handle must lie inside it. */
async function openSource(file: string, inside: string | undefined): Promise<FileHandle> {
  const handle = await open(file, READ_FLAGS);
  try {
    if (inside !== undefined) await checkHandleInside(handle, file, inside, path.relative(inside, file));
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** SHA-256 (hex) of a file, read in chunks; at most `maxBytes` are read. `inside`: see `openSource`. */
export async function hashFile(file: string, maxBytes: number, inside?: string): Promise<{ sha256: string; size: number }> {
  const handle = await openSource(file, inside);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > maxBytes) throw tooLarge('bytes', maxBytes);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/**
 * Copy `source` to the new file `dest` (exclusive create, fsynced before it
 * is closed) and return the SHA-256 of the bytes written. More than
 * `maxBytes` is refused with TOO_LARGE.
 */
export async function copyFileHashed(source: string, dest: string, mode: number, maxBytes: number, inside?: string): Promise<string> {
  const input = await openSource(source, inside);
  try {
    if (!(await input.stat()).isFile()) throw new MeshError('PATH_SPECIAL_FILE', `"${source}" is not a regular file`);
    const output = await open(dest, 'wx', mode);
    try {
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(CHUNK);
      let size = 0;
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        size += bytesRead;
        if (size > maxBytes) throw tooLarge('bytes', maxBytes);
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await output.write(chunk);
      }
      await output.chmod(mode); // the umask may have cleared bits at create
      await output.sync();
      return hash.digest('hex');
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** Write `data` to the new file `dest` (exclusive create) and fsync it. */
export async function writeNewFileSynced(dest: string, data: Uint8Array | string, mode: number): Promise<void> {
  const handle = await open(dest, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** File mode for a skill file: owner only; only the executable bit travels. */
export function skillFileMode(executable: boolean): number {
  return executable ? PRIVATE_EXEC_MODE : PRIVATE_FILE_MODE;
}
