// The bytes a Fetch stream sends, read from the transfer's staged data file
// (durable before any node may fetch it, and in the page cache while it is
// fresh) into a few buffers the stream reuses. A buffer goes back to the
// stream once its frame has left (fetch-pump.ts), so serving a push allocates
// nothing per piece: fresh 4 MiB buffers per chunk and node made V8 count
// gigabytes of external memory and run a full collection on the hub's loop
// every few hundred milliseconds (165 in one 1 GiB push to 8 nodes).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MeshError } from '../../errors.js';
import { readExactly } from '../fs/positional-io.js';
import { pieceFrameCapacity, pieceFrameIn, writeChunkHeader } from '../protocol/chunk-wire.js';
import type { PieceSpan } from '../protocol/pieces.js';
import { stagedDataShort } from './transfer-stage.js';

/** One staged chunk as a Fetch stream needs it: its size (bytes), SHA-256 and BLAKE3 when staged with one (hex). */
export interface StagedChunk {
  size: number;
  sha256: string;
  blake3?: string;
}

export class PieceReader {
  private handle: Promise<FileHandle> | undefined;
  private readonly free: Buffer[] = [];
  /** The buffer under each frame handed out and not yet released. */
  private readonly lent = new WeakMap<Buffer, Buffer>();
  private readonly capacity: number;
  /** The error a data file shorter than its record gives. */
  private readonly short: () => MeshError;

  constructor(
    private readonly dataFile: string,
    readonly pieceBytes: number,
    /** Bytes of every chunk but the last: chunk `index` starts at `index * chunkSize` in the data file. */
    private readonly chunkSize: number,
    private readonly transferId: string,
  ) {
    this.capacity = pieceFrameCapacity(pieceBytes);
    this.short = stagedDataShort(transferId);
  }

  /**
   * The sealed Fetch frame of one piece of staged chunk `index`. It stays the
   * caller's until `release`: a frame never released (a cancelled write) is
   * simply left to the garbage collector.
   */
  async frame(index: number, info: StagedChunk, piece: PieceSpan): Promise<Buffer> {
    if (piece.offset + piece.length > info.size) throw new MeshError('INTERNAL', `chunk ${index} of transfer ${this.transferId} is not staged`);
    this.handle ??= open(this.dataFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    const handle = await this.handle;
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
    const header = { index, rawSize: info.size, dataLength: piece.length, compressed: false, offset: piece.offset, blake3: Boolean(info.blake3) };
    const { frame, data } = pieceFrameIn(buffer, header);
    try {
      await readExactly(handle, data, index * this.chunkSize + piece.offset, this.short);
    } catch (err) {
      this.free.push(buffer);
      throw err;
    }
    writeChunkHeader(frame, header, info.sha256, info.blake3);
    this.lent.set(frame, buffer);
    return frame;
  }

  /** `frame` has been written out: its buffer serves the next piece. */
  release(frame: Buffer): void {
    const buffer = this.lent.get(frame);
    if (!buffer) return;
    this.lent.delete(frame);
    this.free.push(buffer);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }
}
