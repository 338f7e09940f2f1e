// The rule for taking in one Fetch piece on a node: pieces come from the
// network, so each must be of the chunk being received and continue exactly
// where the last one ended, never past the chunk's end. A compressed piece
// (an older hub sends whole chunks, deflated where it paid) must be a whole
// chunk and may inflate to one chunk at most: a few KiB must not become
// gigabytes of memory.
import { promisify } from 'node:util';
import { inflate as inflateCb } from 'node:zlib';
import { MeshError } from '../../errors.js';
import type { Chunk } from '../protocol/frames.js';

const inflate = promisify(inflateCb);

/** Where the receiving side stands in the chunk being received. */
export interface PieceExpectation {
  /** The chunk being received. */
  index: number;
  /** Its bytes received so far. */
  filled: number;
  /** Its size. */
  length: number;
  /** The file, for messages. */
  path: string;
}

/** The raw bytes of `piece`, or a CHECKSUM_MISMATCH that says why the piece does not fit. */
export async function pieceBytes(piece: Pick<Chunk, 'index' | 'data' | 'compressed' | 'offset'>, at: PieceExpectation): Promise<Buffer> {
  const offset = Number(piece.offset) || 0;
  const refuse = (why: string) => new MeshError('CHECKSUM_MISMATCH', `chunk ${piece.index} of ${at.path}: ${why}`);
  if (piece.index !== at.index) throw refuse(`came while chunk ${at.index} was being received`);
  if (offset !== at.filled) throw refuse(`a piece at ${offset} does not continue the ${at.filled} bytes received`);
  if (piece.compressed) {
    if (offset !== 0) throw refuse(`a compressed piece at ${offset} is not a whole chunk`);
    const raw = await inflate(piece.data, { maxOutputLength: at.length }).catch(() => {
      throw refuse(`a compressed piece does not inflate to at most ${at.length} bytes`);
    });
    if (raw.length !== at.length) throw refuse(`a compressed piece inflates to ${raw.length} bytes, not the chunk's ${at.length}`);
    return raw;
  }
  // An empty piece moves nothing forward: a stream of them would keep the node busy for nothing.
  if (piece.data.length === 0) throw refuse(`an empty piece at ${offset}`);
  if (at.filled + piece.data.length > at.length) throw refuse(`a piece at ${offset} of ${piece.data.length} bytes runs past the chunk's ${at.length}`);
  return piece.data;
}
