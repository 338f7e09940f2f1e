// The MCP Bundle manifest and .mcpbignore: valid for the mcpb tool, in step
// with package.json, and never leaving out a file the bundle needs to run.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readMcpbIgnorePatterns, shouldExclude } from '@anthropic-ai/mcpb/node';
import { describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  version: string;
  tools: Array<{ name: string; description?: string }>;
  server: { entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  user_config: Record<string, { type: string; default?: unknown; sensitive?: boolean; required?: boolean }>;
}

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as T;
const manifest = readJson<Manifest>('manifest.json');
const pkg = readJson<PackageJson>('package.json');

/**
 * Folders (relative to the root) of every installed production package,
 * resolved the way Node does: nearest node_modules first, then the parents'.
 */
function productionPackageDirs(): string[] {
  const found = new Set<string>();
  const queue: string[] = [''];
  while (queue.length > 0) {
    const from = queue.shift()!;
    const json = from === '' ? pkg : readJson<PackageJson>(path.join(from, 'package.json'));
    const names = Object.keys({ ...json.dependencies, ...json.optionalDependencies, ...json.peerDependencies });
    for (const name of names) {
      let dir = from;
      let hit: string | undefined;
      for (;;) {
        const candidate = path.join(dir, 'node_modules', name);
        if (existsSync(path.join(ROOT, candidate, 'package.json'))) {
          hit = candidate;
          break;
        }
        if (dir === '') break;
        // Step out of the enclosing node_modules/<name> (or node_modules/@scope/<name>).
        const parts = dir.split(path.sep);
        const at = parts.lastIndexOf('node_modules');
        dir = parts.slice(0, at).join(path.sep);
      }
      if (hit && !found.has(hit)) {
        found.add(hit);
        queue.push(hit);
      }
    }
  }
  return [...found];
}

describe('manifest.json', () => {
  it('passes `mcpb validate`', async () => {
    const { stdout } = await execFileAsync(path.join(ROOT, 'node_modules', '.bin', 'mcpb'), ['validate', 'manifest.json'], {
      cwd: ROOT,
      timeout: 30_000,
    });
    expect(stdout).toMatch(/validation passes/i);
  });

  it('lists exactly the tools the server offers', () => {
    const names = manifest.tools.map((t) => t.name).sort();
    expect(names).toEqual(['cat', 'edit', 'find', 'grep', 'ls', 'mv', 'promote-skill', 'push', 'rm', 'status', 'write']);
    for (const t of manifest.tools) expect(t.description?.length).toBeGreaterThan(10);
  });

  it('has the version of package.json', () => {
    expect(manifest.version).toBe(pkg.version);
  });

  it('starts the compiled hub over stdio with every user setting it declares', () => {
    const { args, env, command } = manifest.server.mcp_config;
    expect(command).toBe('node');
    expect(manifest.server.entry_point).toBe('dist/cli.js');
    expect(args.slice(0, 3)).toEqual(['${__dirname}/dist/cli.js', 'hub', '--stdio']);
    const used = [...args, ...Object.values(env)].join(' ').match(/\$\{user_config\.([a-z_]+)\}/g) ?? [];
    const referenced = new Set(used.map((u) => u.slice('${user_config.'.length, -1)));
    expect([...referenced].sort()).toEqual(Object.keys(manifest.user_config).sort());
    expect(manifest.user_config.node_tokens?.sensitive).toBe(true);
    expect(manifest.user_config.store_url?.sensitive).toBe(true);
  });
});

describe('.mcpbignore', () => {
  const patterns = readMcpbIgnorePatterns(ROOT);

  it('keeps what the bundle runs on and drops sources, tests and benchmarks', () => {
    for (const kept of ['dist/cli.js', 'proto/mesh.proto', 'manifest.json', 'package.json']) {
      expect(shouldExclude(kept, patterns), kept).toBe(false);
    }
    for (const dropped of ['src/cli.ts', 'test/manifest.test.ts', 'bench/run.ts', 'node_modules/typescript/package.json']) {
      expect(shouldExclude(dropped, patterns), dropped).toBe(true);
    }
  });

  it('never drops a production dependency', () => {
    const dirs = productionPackageDirs();
    expect(dirs.length).toBeGreaterThan(10);
    const dropped = dirs.filter((d) => shouldExclude(path.join(d, 'package.json').split(path.sep).join('/'), patterns));
    expect(dropped).toEqual([]);
  });
});
