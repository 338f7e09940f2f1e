// The bearer token MCP clients send over HTTP: generated at first start into
// <data>/http-token (owner-only), reused on later starts; MESH_HTTP_TOKEN
// overrides it. The hub refuses to start on a token file others could read.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { MeshError } from '../errors.js';
import { fsyncDir, tempPathFor } from '../mesh/fs/durable.js';
import { splitHostPort } from '../mesh/protocol/address.js';
import { authModeRefusal } from './http-guard.js';

export const HTTP_TOKEN_FILE = 'http-token';
/** Makes a leaked token recognisable (secret scanners, logs). */
export const HTTP_TOKEN_PREFIX = 'mesh_http_';
/** Random bytes in a generated token. */
const TOKEN_BYTES = 32;
/** A token file is one short line; anything bigger is not ours. */
const MAX_TOKEN_FILE_BYTES = 4096;
/** What a token kept in the file may look like: printable, no spaces, not trivially short. */
const FILE_TOKEN_RE = /^[\x21-\x7e]{16,1024}$/;

export interface HttpToken {
  token: string;
  /** Where the token came from: MESH_HTTP_TOKEN, or the token file. */
  source: 'env' | 'file';
  /** `<data>/http-token`, whether or not it was used. */
  file: string;
  /** True when this start generated the file. */
  created: boolean;
}

export function generateHttpToken(): string {
  return HTTP_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

export function httpTokenFile(dataDir: string): string {
  return path.join(dataDir, HTTP_TOKEN_FILE);
}

/** The token the hub asks for: `envToken` (MESH_HTTP_TOKEN) when set, else the data folder's token file. */
export async function resolveHttpToken(dataDir: string, envToken?: string): Promise<HttpToken> {
  const file = httpTokenFile(dataDir);
  if (envToken) return { token: envToken, source: 'env', file, created: false };
  return loadOrCreateHttpToken(dataDir);
}

/**
 * The token to send to the hub of `dataDir`: `envToken` (MESH_HTTP_TOKEN)
 * when set, else the token file, with the same checks as the hub makes;
 * undefined when there is neither. Never creates the file.
 */
export async function readHttpToken(dataDir: string, envToken?: string): Promise<string | undefined> {
  if (envToken) return envToken;
  return readTokenFile(httpTokenFile(dataDir));
}

/**
 * How an HTTP listener on `address` authenticates, settled before anything
 * listens: `auth` false (`--no-http-auth`) is refused beyond loopback;
 * otherwise the token is MESH_HTTP_TOKEN or the data folder's token file.
 */
export async function resolveHttpAuth(address: string, auth: boolean, dataDir: string, envToken?: string): Promise<{ auth: boolean; token?: HttpToken }> {
  if (auth) return { auth, token: await resolveHttpToken(dataDir, envToken) };
  const refused = authModeRefusal(splitHostPort(address).host, false, undefined);
  if (refused) throw new MeshError('INVALID_ARGUMENT', `refusing to serve MCP over HTTP on ${address}: ${refused}`, { address });
  return { auth };
}

/** Read `<data>/http-token`, or generate it (mode 0600, fsynced) when it does not exist. */
export async function loadOrCreateHttpToken(dataDir: string): Promise<HttpToken> {
  const file = httpTokenFile(dataDir);
  const existing = await readTokenFile(file);
  if (existing !== undefined) return { token: existing, source: 'file', file, created: false };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = generateHttpToken();
  if (await publishExclusive(file, token)) return { token, source: 'file', file, created: true };
  // Another hub on the same data folder published its token first: share it.
  const theirs = await readTokenFile(file);
  if (theirs === undefined) throw new MeshError('INTERNAL', `${file} vanished while it was being created`);
  return { token: theirs, source: 'file', file, created: false };
}

function refuse(file: string, why: string, rule: string): MeshError {
  return new MeshError('INVALID_ARGUMENT', `refusing to use the HTTP token file ${file}: ${why}`, { file, rule });
}

/** The token in `file`, or undefined when there is no such file. */
async function readTokenFile(file: string): Promise<string | undefined> {
  let handle;
  try {
    // Security: a planted link or FIFO in place of the token file. O_NOFOLLOW
    // refuses a link, O_NONBLOCK keeps a FIFO from hanging the start, and the
    // checks below are made on the handle that is read, not on the path.
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw refuse(file, 'it is a symbolic link; remove it to have a new token generated', 'link');
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw refuse(file, 'it is not a regular file', 'special-file');
    // Security: token theft by another local user. A token readable by group
    // or others is no secret; say how to fix it rather than serve with it.
    if ((st.mode & 0o077) !== 0) {
      throw refuse(file, `it is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8)}); run \`chmod 600 ${file}\`, or remove it to have a new token generated`, 'permissions');
    }
    if (st.size > MAX_TOKEN_FILE_BYTES) throw refuse(file, `it is ${st.size} bytes, not one token`, 'size');
    const token = (await handle.readFile('utf8')).trim();
    if (!FILE_TOKEN_RE.test(token)) throw refuse(file, 'it does not hold a token (16 or more printable characters without spaces); remove it to have a new one generated', 'content');
    return token;
  } finally {
    await handle.close();
  }
}

/**
 * Create `file` holding `token`, all or nothing: the token is written and
 * fsynced under a temporary name, then hard-linked to its name, which fails
 * if the name exists (exclusive create without a window in which the file
 * exists but is empty). False when the file already existed.
 */
async function publishExclusive(file: string, token: string): Promise<boolean> {
  const temp = tempPathFor(file);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.chmod(0o600); // whatever the umask
      await handle.writeFile(`${token}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    return true;
  } finally {
    await rm(temp, { force: true });
    await fsyncDir(path.dirname(file));
  }
}
