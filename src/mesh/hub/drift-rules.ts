// What drift means for one path, as a pure function: the mirror's file and
// the node's copy of it (either may be absent) give the kind of difference;
// the path's situation (a delivery in flight, the repair budget, the hub's
// mode) gives what the hub does about it. Every drift decision goes through
// `decideDrift`, so a new reason to leave a path alone slots in here.
import type { DriftMode } from './drift.js';

export type DriftKind = 'missing' | 'changed' | 'extra';
export type DriftAction = 'repairing' | 'reported' | 'deferred';

export interface FileState {
  size: number;
  sha256: string;
}

export interface PathState {
  path: string;
  /** The mirror's file; undefined when the mirror has none. */
  mirror?: FileState;
  /** The node's copy; undefined when the node has none. */
  copy?: FileState;
}

export interface PathSituation {
  mode: DriftMode;
  /** The mesh is delivering this path to the node, or the hub is writing it: a difference is expected. */
  inFlight: boolean;
  /** The node's repair budget has room for this file. */
  affordable: boolean;
}

/** The kind of difference between mirror and copy, or undefined when they agree (mtime is ignored). */
export function driftKind(state: PathState): DriftKind | undefined {
  if (state.mirror && !state.copy) return 'missing';
  if (!state.mirror && state.copy) return 'extra';
  if (state.mirror && state.copy && (state.mirror.sha256 !== state.copy.sha256 || state.mirror.size !== state.copy.size)) return 'changed';
  return undefined;
}

/**
 * What the hub does about one path: nothing (in sync, or explained by a
 * delivery in flight), repair it from the mirror, report it, or defer it
 * past the node's repair budget. Files only the node has are only reported:
 * removing data is not a repair the hub makes on its own.
 */
export function decideDrift(state: PathState, situation: PathSituation): { kind: DriftKind; action: DriftAction } | undefined {
  const kind = driftKind(state);
  if (kind === undefined || situation.inFlight) return undefined;
  if (kind === 'extra' || situation.mode === 'report') return { kind, action: 'reported' };
  return { kind, action: situation.affordable ? 'repairing' : 'deferred' };
}
