// Run under strace by write-order.test.ts: one durable write of each kind the
// mesh makes (library-style writeFileDurable, a session write through folder
// handles, a push's staged data linked into the mirror), each announced on stdout once it resolved,
// so the trace shows what was on disk when success was reported.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirDurable, writeFileDurable } from '../../../src/mesh/fs/durable.js';
import { linkIntoPlace, writeFileInside } from '../../../src/mesh/fs/safe-write.js';

const base = process.argv[2]!;
const say = (line: string) => new Promise<void>((resolve) => process.stdout.write(line + '\n', () => resolve()));

await writeFileDurable(path.join(base, 'durable', 'a', 'b', 'file.txt'), 'durable content');
await say('ACK durable');

const root = path.join(base, 'session');
await ensureDirDurable(root); // the session root, as Hub.ensureSession makes it
await writeFileInside(root, 'a/b/file.txt', 'session content');
await say('ACK inside');

// A second write over an existing file: the folder is there, only the rename and its fsync remain.
await writeFileInside(root, 'a/b/file.txt', 'session content, second version');
await say('ACK overwrite');

// A push's staged data file, hard-linked into the mirror.
const staged = path.join(base, 'staged-data');
await writeFile(staged, 'pushed content');
await linkIntoPlace(root, 'c/d/pushed.bin', staged);
await say('ACK link');
