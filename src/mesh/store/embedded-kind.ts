// Which embedded store a data folder uses. A folder keeps the kind it was
// created with, whatever the preference says later: a hub from the bundle
// (log store) and an operator command from an npm install (SQLite by default)
// must never keep two diverging stores in one folder.
import path from 'node:path';
import { MeshError } from '../../errors.js';

export type EmbeddedKind = 'sqlite' | 'log';

const FILES: Record<EmbeddedKind, string> = { sqlite: 'mesh.sqlite', log: 'mesh.kvlog' };

export function embeddedFile(dataDir: string, kind: EmbeddedKind): string {
  return path.join(dataDir, FILES[kind]);
}

/** MESH_EMBEDDED_STORE: `sqlite` (default) or `log`. */
export function embeddedPreference(env: NodeJS.ProcessEnv = process.env): EmbeddedKind {
  const value = (env.MESH_EMBEDDED_STORE ?? '').trim() || 'sqlite';
  if (value !== 'sqlite' && value !== 'log') throw new MeshError('INVALID_ARGUMENT', `MESH_EMBEDDED_STORE must be "sqlite" or "log" (got "${value}")`);
  return value;
}

/** The kind already in the folder wins; with both or neither there, the preference. */
export function pickEmbedded(preferred: EmbeddedKind, present: Record<EmbeddedKind, boolean>): EmbeddedKind {
  const other: EmbeddedKind = preferred === 'sqlite' ? 'log' : 'sqlite';
  return present[other] && !present[preferred] ? other : preferred;
}
