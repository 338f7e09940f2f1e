// Builds the MCP Bundle: src/cli.ts and every dependency it loads as one ESM
// file, with proto/ beside it and manifest.json at the root, in build/bundle/,
// then `mcpb pack` of that folder into mesh-assistant.mcpb. No native module
// goes in: the hub in the bundle keeps its state in the log store
// (MESH_EMBEDDED_STORE=log in manifest.json), and sqlite3, which only the node
// agent and the SQLite store load (lazily), is left out.
//   node --import tsx deploy/bundle/build.ts [--out mesh-assistant.mcpb] [--no-pack]
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAGE = path.join(ROOT, 'build', 'bundle');
/** Where manifest.json's entry point is, relative to the bundle's root. */
export const ENTRY = 'server/index.mjs';

/** Loaded only by code the bundle never runs (the node agent's index, the SQLite store, pg's native driver). */
const LEFT_OUT = ['sqlite3', '@keyv/sqlite', 'pg-native'];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1]! : path.join(ROOT, 'mesh-assistant.mcpb'));
  await rm(STAGE, { recursive: true, force: true });
  await mkdir(path.join(STAGE, 'server', 'proto'), { recursive: true });
  const bundled = (entry: string, outfile: string) =>
    build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: LEFT_OUT,
      minify: true,
      // Stack traces in the JSON logs keep readable names.
      keepNames: true,
      legalComments: 'eof',
      // CommonJS dependencies call require() for Node built-ins; an ESM file has none of its own.
      banner: { js: "import { createRequire as __meshCreateRequire } from 'node:module'; const require = __meshCreateRequire(import.meta.url);" },
      metafile: true,
      logLevel: 'warning',
    });
  const result = await bundled(path.join(ROOT, 'src', 'cli.ts'), path.join(STAGE, ENTRY));
  // The hub's fetch worker runs in a thread of its own and is loaded by file name (fetch-worker-host.ts): a second file beside the entry.
  const worker = await bundled(path.join(ROOT, 'src', 'mesh', 'hub', 'fetch-worker.ts'), path.join(STAGE, 'server', 'fetch-worker.mjs'));
  const inputs = [...Object.keys(result.metafile.inputs), ...Object.keys(worker.metafile.inputs)];
  const loaded = LEFT_OUT.filter((name) => inputs.some((file) => file.includes(`node_modules/${name}/`)));
  if (loaded.length > 0) throw new Error(`the bundle must not contain ${loaded.join(', ')}`);
  await copyFile(path.join(ROOT, 'proto', 'mesh.proto'), path.join(STAGE, 'server', 'proto', 'mesh.proto'));
  const manifest = JSON.parse(await readFile(path.join(ROOT, 'manifest.json'), 'utf8')) as { server: { entry_point: string } };
  if (manifest.server.entry_point !== ENTRY) throw new Error(`manifest.json's entry_point must be ${ENTRY}`);
  await writeFile(path.join(STAGE, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await copyFile(path.join(ROOT, 'README.md'), path.join(STAGE, 'README.md'));
  if (!args.includes('--no-pack')) {
    // mcpb writes its progress on stdout; the caller sees it on stderr with ours.
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'mcpb'), ['pack', STAGE, out], { stdio: ['ignore', 2, 2] });
  }
  process.stderr.write(`bundle: ${STAGE}${args.includes('--no-pack') ? '' : ` -> ${out}`}\n`);
}

await main();
