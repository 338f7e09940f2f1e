// Generates the TypeScript types of proto/mesh.proto with @grpc/proto-loader's
// own generator, into src/mesh/protocol/generated/ (committed, so that build
// and CI need no generation step; test/mesh/protocol/generated-types.test.ts
// fails when the committed files differ from what the .proto gives).
//   npm run proto:types
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const GENERATED_DIR = path.join(ROOT, 'src', 'mesh', 'protocol', 'generated');

/**
 * The loader options of src/mesh/protocol/load.ts (LOADER_OPTIONS), as the
 * generator spells them: camelCase (no --keepCase), 64-bit integers as
 * numbers, enums as strings, bytes as Buffers (the generator's default),
 * default values and the virtual oneof fields filled in.
 */
const LOADER_FLAGS = ['--longs=Number', '--enums=String', '--defaults', '--oneofs'];

/**
 * Imports between generated files name `X.js`: under module NodeNext a
 * relative import in an ES module needs its extension, type-only or not, and
 * the generator writes none by default.
 */
const FLAGS = [...LOADER_FLAGS, '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js'];

/** Write the generated types of proto/mesh.proto into `outDir` (emptied first, so a message removed from the .proto leaves no file behind). */
export function generateProtoTypes(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  // Run from the root with a relative .proto path: each file names it in its header, and the output must not depend on where the checkout is.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'proto-loader-gen-types'), [...FLAGS, '-O', outDir, 'proto/mesh.proto'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generateProtoTypes(GENERATED_DIR);
  process.stderr.write(`proto:types: ${path.relative(ROOT, GENERATED_DIR)}\n`);
}
