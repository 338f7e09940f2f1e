// Transfers staged by a hub of the first record format, carried over to
// today's layout at start, so that a push accepted before an upgrade still
// lands. That format kept one file per chunk (`<staging>/<id>/<index>.chunk`,
// deflated where it paid) and a SHA-256 of the whole file; today's keeps one
// data file and the content hash made from the chunk hashes
// (content-hash.ts). Each chunk is checked against the hash the record
// holds before it counts: a missing or damaged chunk means the transfer
// cannot be carried over, and the caller drops it with the reason.
import { constants } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflate as inflateCb } from 'node:zlib';
import { MeshError } from '../../errors.js';
import { fsyncDir } from '../fs/durable.js';
import { CONTENT_BLOCK_SIZE } from '../fs/content-hash.js';
import { isSha256Hex, sha256HexOffLoop } from '../fs/hash.js';
import { writeAll } from '../fs/positional-io.js';
import { PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import { TRANSFER_FORMAT, type TransferRecord } from '../store/records.js';
import { chunkCount, dataFile, fileHashOf } from './transfer-stage.js';

const inflate = promisify(inflateCb);

/** A chunk as the first format recorded it. */
interface FirstFormatChunk {
  sha256: string;
  size: number;
  /** Stored deflated. */
  compressed?: boolean;
}

/** Whether a stored transfer record is of the first format (written before records carried one). */
export function isFirstFormat(record: TransferRecord): boolean {
  return record.format === undefined;
}

/**
 * Rewrite the staging folder of a first-format transfer as one durable data
 * file and return the record in today's format (not yet stored), or throw
 * a MeshError that says why it cannot be carried over.
 */
export async function upgradeFirstFormat(record: TransferRecord, stagingDir: string): Promise<TransferRecord> {
  const chunks = record.chunks as FirstFormatChunk[];
  const total = chunkCount(record);
  // The file hash is made of 4 MiB block hashes: chunks of another size cannot give it.
  if (!Number.isSafeInteger(record.size) || record.size < 0 || record.chunkSize !== CONTENT_BLOCK_SIZE || !Array.isArray(chunks) || chunks.length !== total) {
    throw new MeshError('INTERNAL', `transfer ${record.id}: its record does not describe ${total} chunks of ${record.chunkSize} bytes`);
  }
  const handle = await open(dataFile(stagingDir), constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  try {
    for (const [index, chunk] of chunks.entries()) {
      const want = Math.min(record.chunkSize, record.size - index * record.chunkSize);
      const stored = await readFile(path.join(stagingDir, `${index}.chunk`), { flag: constants.O_RDONLY | constants.O_NOFOLLOW }).catch((err: NodeJS.ErrnoException) => {
        throw new MeshError('INTERNAL', `transfer ${record.id}: chunk ${index} is missing from staging (${err.code ?? err.message})`);
      });
      const raw = chunk.compressed ? await inflate(stored, { maxOutputLength: want + 1 }).catch(() => Buffer.alloc(0)) : stored;
      if (chunk.size !== want || raw.length !== want || !isSha256Hex(chunk.sha256) || (await sha256HexOffLoop(raw)) !== chunk.sha256) {
        throw new MeshError('CHECKSUM_MISMATCH', `transfer ${record.id}: chunk ${index} in staging does not match its recorded hash`);
      }
      await writeAll(handle, raw, index * record.chunkSize);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  const today = chunks.map(({ sha256, size }) => ({ sha256, size }));
  await Promise.all(chunks.map((_, index) => rm(path.join(stagingDir, `${index}.chunk`), { force: true })));
  await fsyncDir(stagingDir);
  return {
    ...record,
    format: TRANSFER_FORMAT,
    chunks: today,
    sha256: fileHashOf(today),
    staged: true,
  };
}
