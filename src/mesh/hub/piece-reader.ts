// The bytes a Fetch stream sends, read from the transfer's staged data file
// (durable before any node may fetch it, and in the page cache while it is
// fresh). Pieces come from the server's SharedPieces: a piece another stream
// of the same push has just read is sent from the same buffer, and buffers
// are reused once every stream's write of them has left (fetch-pump.ts), so
// serving a push allocates almost nothing per piece: fresh 4 MiB buffers per
// chunk and node made V8 count gigabytes of external memory and run a full
// collection on the hub's loop every few hundred milliseconds (165 in one
// 1 GiB push to 8 nodes).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MeshError } from '../../errors.js';
import { readExactly } from '../fs/positional-io.js';
import { pieceFrameCapacity, pieceFrameIn, writeChunkHeader, type ChunkHeader } from '../protocol/chunk-wire.js';
import type { PieceSpan } from '../protocol/pieces.js';
import type { SharedPieces } from './shared-pieces.js';
import { stagedDataShort } from './transfer-stage.js';

/** One staged chunk as a Fetch stream needs it: its size (bytes), SHA-256 and BLAKE3 when staged with one (hex). */
export interface StagedChunk {
  size: number;
  sha256: string;
  blake3?: string;
}

export class PieceReader {
  private handle: Promise<FileHandle> | undefined;
  /** Frames handed out and not yet released. */
  private readonly held = new Set<Buffer>();
  private readonly capacity: number;
  /** The error a data file shorter than its record gives. */
  private readonly short: () => MeshError;
  private closed = false;

  constructor(
    private readonly pieces: SharedPieces,
    private readonly dataFile: string,
    readonly pieceBytes: number,
    /** Bytes of every chunk but the last: chunk `index` starts at `index * chunkSize` in the data file. */
    private readonly chunkSize: number,
    private readonly transferId: string,
  ) {
    this.capacity = pieceFrameCapacity(pieceBytes);
    this.short = stagedDataShort(transferId);
    pieces.open(dataFile);
  }

  /**
   * The sealed Fetch frame of one piece of staged chunk `index`. It stays the
   * caller's until `release`; the caller must not change it (other streams
   * may be sending the same buffer).
   */
  async frame(index: number, info: StagedChunk, piece: PieceSpan): Promise<Buffer> {
    if (piece.offset + piece.length > info.size) throw new MeshError('INTERNAL', `chunk ${index} of transfer ${this.transferId} is not staged`);
    const header = { index, rawSize: info.size, dataLength: piece.length, compressed: false, offset: piece.offset, blake3: Boolean(info.blake3) };
    // Everything the frame's bytes depend on: a chunk staged again with other bytes has another hash, hence another key.
    const key = [this.dataFile, this.pieceBytes, index, piece.offset, piece.length, info.size, info.sha256, info.blake3 ?? ''].join('\n');
    const frame = await this.pieces.acquire({
      file: this.dataFile,
      key,
      capacity: this.capacity,
      fill: (buffer) => this.fill(buffer, header, info, index * this.chunkSize + piece.offset),
    });
    this.held.add(frame);
    return frame;
  }

  private async fill(buffer: Buffer, header: ChunkHeader, info: StagedChunk, position: number): Promise<Buffer> {
    this.handle ??= open(this.dataFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    const { frame, data } = pieceFrameIn(buffer, header);
    await readExactly(await this.handle, data, position, this.short);
    writeChunkHeader(frame, header, info.sha256, info.blake3);
    return frame;
  }

  /** `frame` has been written out: its buffer may serve the next piece. */
  release(frame: Buffer): void {
    if (this.held.delete(frame)) this.pieces.release(frame);
  }

  /**
   * The stream is over; frames still held (writes of a call that went) are
   * never reused. No read on the handle is in progress: the pump awaits every
   * `frame` (and so every read other streams may share) before it closes.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const frame of this.held) this.pieces.abandon(frame);
    this.held.clear();
    this.pieces.close(this.dataFile);
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }
}
