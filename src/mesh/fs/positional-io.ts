// Whole reads and writes at a position of an open file. A single
// `read`/`write` may move fewer bytes than asked (a signal, a pipe, a large
// request split by the kernel); these loop until the buffer is done.
import type { FileHandle } from 'node:fs/promises';

/** Write all of `data` at `position`. */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Fill `buffer` from `position` as far as the file goes; the bytes read (fewer than asked only at the end of the file). */
export async function readUpTo(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Fill `into` from `position`; `short(at)` is thrown when the file ends first, at byte `at`. */
export async function readExactly(handle: FileHandle, into: Buffer, position: number, short: (at: number) => Error): Promise<void> {
  const filled = await readUpTo(handle, into, position);
  if (filled < into.length) throw short(position + filled);
}
