// Opens the Keyv store behind the hub: an embedded store in the data folder
// by default (SQLite, or the plain-JavaScript log store where no native
// module may be loaded), PostgreSQL when given a postgres:// URL. Everything
// the hub must not forget (memberships, tokens, transfers, deliveries,
// skills) lives here; memory only caches it.
import Keyv from 'keyv';
import { access, chmod, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../../errors.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../fs/private-mode.js';
import { embeddedFile, embeddedPreference, pickEmbedded, type EmbeddedKind } from './embedded-kind.js';
import { LogStore } from './log-store.js';
import { ResilientKeyvPostgres } from './postgres-adapter.js';

export interface OpenedStore {
  keyv: Keyv;
  /** Human-readable location, safe to log (no password). */
  describe: string;
  close(): Promise<void>;
}

const NAMESPACE = 'mesh';
const ITERATION_BATCH = 1000;

/**
 * @param namespace key prefix; the manifests nodes report live in a namespace
 *   of their own, so listing the hub's records never walks them.
 * @param storeUrl `postgres://...` (an optional `?table=name` picks the table,
 *   default `mesh_keyv`), `sqlite://path`, `log://path`, or undefined for the
 *   embedded store in the data folder: the kind already there, else the one
 *   MESH_EMBEDDED_STORE names (`sqlite`, the default, or `log`).
 */
export async function openKeyv(storeUrl: string | undefined, dataDir: string, namespace = NAMESPACE, preferred = embeddedPreference()): Promise<OpenedStore> {
  if (storeUrl && /^postgres(ql)?:\/\//.test(storeUrl)) return openPostgres(storeUrl, namespace);
  let kind: EmbeddedKind;
  let file: string;
  if (storeUrl?.startsWith('sqlite://') || storeUrl?.startsWith('log://')) {
    kind = storeUrl.startsWith('log://') ? 'log' : 'sqlite';
    file = storeUrl.slice(`${kind}://`.length);
  } else if (storeUrl) {
    throw new MeshError('INVALID_ARGUMENT', `store URL must start with postgres://, sqlite:// or log:// (got "${redact(storeUrl)}")`);
  } else {
    const exists = (k: EmbeddedKind) => access(embeddedFile(dataDir, k)).then(() => true, () => false);
    kind = pickEmbedded(preferred, { sqlite: await exists('sqlite'), log: await exists('log') });
    file = embeddedFile(dataDir, kind);
  }
  const own = namespace === NAMESPACE ? file : namespacedFile(file, namespace);
  return kind === 'log' ? openLog(own, namespace) : openSqlite(own, namespace);
}

/**
 * Each SQLite namespace gets a file of its own (`mesh.sqlite` ->
 * `mesh.manifest.sqlite`). Why not one file: SQLite's locks are POSIX
 * record locks, which a process drops on ALL its descriptors of a file as
 * soon as it closes ANY of them. Opening a second connection to an open
 * store (its 0600 pre-creation below opens and closes the file) would drop
 * the first connection's locks; an operator command would then take itself
 * for the last user, checkpoint and delete the WAL under the running hub,
 * and the hub would go on reading a WAL no one else sees (a revoked token
 * still admitted).
 */
function namespacedFile(file: string, namespace: string): string {
  const ext = path.extname(file);
  return ext ? `${file.slice(0, -ext.length)}.${namespace}${ext}` : `${file}.${namespace}`;
}

async function openLog(file: string, namespace: string): Promise<OpenedStore> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const adapter = await LogStore.open(file);
  const keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true });
  keyv.on('error', () => {});
  // Keyv builds its iterator only for adapters it knows by name; the log store's walks the in-memory index.
  keyv.iterator = keyv.generateIterator(adapter.iterator.bind(adapter));
  return { keyv, describe: `log:${file}`, close: () => adapter.disconnect() };
}

/**
 * @keyv/sqlite is loaded only when used: it needs sqlite3's native module,
 * which the MCP Bundle does not carry.
 */
async function loadKeyvSqlite(): Promise<typeof import('@keyv/sqlite').default> {
  try {
    return (await import('@keyv/sqlite')).default;
  } catch (err) {
    throw new MeshError(
      'STORE_UNAVAILABLE',
      `the SQLite store cannot be loaded here (${(err as Error).message}); use the log store: MESH_EMBEDDED_STORE=log, or --store log://<file>`,
    );
  }
}

async function openSqlite(file: string, namespace: string): Promise<OpenedStore> {
  const KeyvSqlite = await loadKeyvSqlite();
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  // Security: the store holds token hashes and every membership. Create it
  // 0600 before SQLite does (SQLite would use 0644 less the umask, and gives
  // its -wal and -shm files the database file's mode).
  await (await open(file, 'a', PRIVATE_FILE_MODE)).close();
  await chmod(file, PRIVATE_FILE_MODE);
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, table: 'mesh', busyTimeout: 10_000, iterationLimit: ITERATION_BATCH });
  // WAL lets operator commands (token create/revoke) write while the hub
  // reads; synchronous=FULL keeps "acknowledged after stored" true across a
  // power cut, not only a process crash.
  await adapter.query('PRAGMA journal_mode=WAL');
  await adapter.query('PRAGMA synchronous=FULL');
  // A store created by an older version may have open -wal/-shm files.
  for (const companion of [`${file}-wal`, `${file}-shm`]) await chmod(companion, PRIVATE_FILE_MODE).catch(() => {});
  const keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true });
  // Errors surface as rejected promises at the call site: without throwOnErrors Keyv 5 answers a failed
  // read with `undefined`, so a store outage would read as "no such token" or "no such transfer".
  keyv.on('error', () => {});
  return { keyv, describe: `sqlite:${file}`, close: () => adapter.disconnect() };
}

async function openPostgres(url: string, namespace: string): Promise<OpenedStore> {
  const parsed = new URL(url);
  const table = parsed.searchParams.get('table') ?? 'mesh_keyv';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new MeshError('INVALID_ARGUMENT', `store table must be a lowercase SQL identifier (got "${table}")`);
  }
  parsed.searchParams.delete('table');
  const adapter = new ResilientKeyvPostgres({ uri: parsed.toString(), table, iterationLimit: ITERATION_BATCH });
  const keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true });
  keyv.on('error', () => {});
  try {
    await keyv.get('probe');
  } catch (err) {
    await adapter.disconnect().catch(() => {});
    throw new MeshError('STORE_UNAVAILABLE', `cannot reach PostgreSQL at ${redact(url)}: ${(err as Error).message}`);
  }
  return { keyv, describe: `${redact(url)} (table ${table})`, close: () => adapter.disconnect() };
}

/** Hide a password in a URL before it reaches a log line or an error. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
