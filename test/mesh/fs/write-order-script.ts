// Run under strace by write-order.test.ts: one durable write of each kind the
// mesh makes (library-style writeFileDurable, a session write through folder
// handles, a push's staged data linked into the mirror, an edit's compare-and-swap, rm of a
// file and of a folder, mv), each announced on stdout once it resolved, so the trace shows
// what was on disk when success was reported.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirDurable, writeFileDurable } from '../../../src/mesh/fs/durable.js';
import { writeFileIfUnchanged } from '../../../src/mesh/fs/cas-write.js';
import { hashFile } from '../../../src/mesh/fs/hash.js';
import { moveInside, removeInside } from '../../../src/mesh/fs/remove-move.js';
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

// edit: the new content replaces the old only if the old still hashes to what was read.
await writeFileIfUnchanged(root, 'a/b/file.txt', Buffer.from('edited content'), await hashFile(path.join(root, 'a/b/file.txt')));
await say('ACK edit');

// rm of a file, rm of a folder (renamed aside first), mv into new folders.
await writeFileInside(root, 'gone/file.txt', 'to be removed');
await removeInside(root, 'gone/file.txt', false);
await say('ACK rm file');
await writeFileInside(root, 'tree/x/y.txt', 'in a folder to be removed');
await removeInside(root, 'tree', true);
await say('ACK rm folder');
await writeFileInside(root, 'from/m.txt', 'to be moved');
await moveInside(root, 'from/m.txt', 'to/deep/m.txt', { overwrite: false });
await say('ACK mv');
