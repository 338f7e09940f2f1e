// The MCP Bundle manifest: valid for the mcpb tool, in step with package.json
// and the hub's settings. test/ops/bundle.test.ts builds and runs the bundle.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as T;
const manifest = readJson<Manifest>('manifest.json');
const pkg = readJson<PackageJson>('package.json');

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

  it('starts the bundled hub over stdio on the log store, with every user setting it declares', () => {
    const { args, env, command } = manifest.server.mcp_config;
    expect(command).toBe('node');
    expect(manifest.server.entry_point).toBe('server/index.mjs');
    expect(args).toEqual(['${__dirname}/server/index.mjs', 'hub', '--stdio']);
    expect(env.MESH_EMBEDDED_STORE).toBe('log');
    const used = [...args, ...Object.values(env)].join(' ').match(/\$\{user_config\.([a-z_]+)\}/g) ?? [];
    const referenced = new Set(used.map((u) => u.slice('${user_config.'.length, -1)));
    expect([...referenced].sort()).toEqual(Object.keys(manifest.user_config).sort());
    expect(manifest.user_config.node_tokens?.sensitive).toBe(true);
    expect(manifest.user_config.store_url?.sensitive).toBe(true);
    expect(manifest.user_config.tls_key?.sensitive).toBe(true);
  });

  it('gives every optional setting a default, so no ${user_config...} reaches the hub unreplaced', () => {
    // The host replaces a variable only when it has a value; an unset one would be passed on as its own text.
    for (const [name, option] of Object.entries(manifest.user_config)) {
      if (!option.required) expect(option.default, name).toBeDefined();
      expect(String(option.default ?? ''), name).not.toMatch(/\$\{/);
    }
  });

  it('maps each setting to a variable the hub reads', () => {
    const cli = ['cli.ts', 'hub-command.ts', 'config.ts'].map((f) => readFileSync(path.join(ROOT, 'src', f), 'utf8')).join('\n');
    for (const name of Object.keys(manifest.server.mcp_config.env)) {
      if (name === 'MESH_EMBEDDED_STORE') continue; // read by the store (embedded-kind.ts)
      expect(cli, name).toContain(name);
    }
  });
});
