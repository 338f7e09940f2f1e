// The node's own credential, issued by the hub when this node id enrolled
// with a shared token. Kept in the workspace, readable by its owner only;
// from then on the node attaches with it, and the shared token no longer
// admits this id anywhere.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurable } from '../fs/durable.js';

const FILE = 'node-credential.json';

interface CredentialFile {
  node: string;
  token: string;
  issuedAt: string;
}

export function credentialPath(workspace: string): string {
  return path.join(workspace, FILE);
}

/** The credential kept for `node`, if any (a file for another id is ignored). */
export async function loadCredential(workspace: string, node: string): Promise<string | undefined> {
  const text = await readFile(credentialPath(workspace), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<CredentialFile>;
    return parsed.node === node && typeof parsed.token === 'string' && parsed.token ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

/** Keep the credential durably, mode 0600, before the node relies on it. */
export async function saveCredential(workspace: string, node: string, token: string): Promise<void> {
  const record: CredentialFile = { node, token, issuedAt: new Date().toISOString() };
  await writeFileDurable(credentialPath(workspace), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}
