// The model the fault suite checks against: a seeded random source (so a run
// is replayed with --seed) and a set checker in the spirit of Jepsen's: every
// acknowledged write must be found, whole; an unacknowledged one may be there
// or not, but never half. Pure, no I/O.

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (xs) => xs[int(0, xs.length - 1)]! };
}

/** One write (or push) the suite issued. */
export interface Op {
  /** The fault this op ran under (e.g. "crash wave 3"): a loss is charged to it. */
  fault: string;
  session: string;
  path: string;
  sha256: string;
  /** Sequence number: later ops to one path were issued after earlier ones settled. */
  seq: number;
  acked: boolean;
  /** Nodes that were members of the session when the op was acknowledged. */
  members: string[];
}

/** What an observer found at one place (the mirror or a node's copy): path -> SHA-256 (absent = missing). */
export type Observed = Map<string, string>;

export interface Violation {
  fault: string;
  where: string;
  what: string;
}

/**
 * Check one place against the history. For each path: the last acknowledged
 * op must be there, or an op issued after it (a later write that may have
 * landed unacknowledged); with no acknowledged op, the file is missing or one
 * of the versions issued. Content matching no issued version is a torn write.
 * `mustHave` says whether acknowledged ops must be present at this place
 * (the mirror always; a node only if it was a member at the acknowledgement).
 */
export function checkPlace(where: string, ops: Op[], observed: Observed, mustHave: (op: Op) => boolean): Violation[] {
  const out: Violation[] = [];
  const byPath = new Map<string, Op[]>();
  for (const op of ops) byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
  for (const [p, list] of byPath) {
    list.sort((x, y) => x.seq - y.seq);
    const found = observed.get(p);
    const lastAcked = list.filter((op) => op.acked && mustHave(op)).at(-1);
    const allowed = lastAcked ? list.filter((op) => op.seq >= lastAcked.seq) : list;
    if (found === undefined) {
      if (lastAcked) out.push({ fault: lastAcked.fault, where, what: `${p}: acknowledged write #${lastAcked.seq} missing` });
      continue;
    }
    if (allowed.some((op) => op.sha256 === found)) continue;
    const known = list.find((op) => op.sha256 === found);
    if (known && lastAcked) {
      out.push({ fault: lastAcked.fault, where, what: `${p}: holds #${known.seq}, older than acknowledged #${lastAcked.seq}` });
    } else if (!known) {
      out.push({ fault: (lastAcked ?? list.at(-1)!).fault, where, what: `${p}: content ${found.slice(0, 12)} matches no version written (torn)` });
    }
  }
  return out;
}

/** Paths at a place that no op for that session wrote: a file on a non-member, or a stray. */
export function strays(where: string, ops: Op[], observed: Observed, fault = 'setup'): Violation[] {
  const known = new Set(ops.map((op) => op.path));
  return [...observed.keys()].filter((p) => !known.has(p)).map((p) => ({ fault, where, what: `${p}: present but never written here` }));
}

export interface FaultResult {
  kind: string;
  /** One line a fault: what was injected. */
  name: string;
  survived: boolean;
  detail: string[];
}

/** Per-kind rows of the summary table, and the totals. */
export function summarize(results: FaultResult[]): { rows: Array<{ kind: string; injected: number; survived: number; lost: number }>; injected: number; survived: number; lost: number } {
  const kinds = [...new Set(results.map((r) => r.kind))];
  const rows = kinds.map((kind) => {
    const mine = results.filter((r) => r.kind === kind);
    const survived = mine.filter((r) => r.survived).length;
    return { kind, injected: mine.length, survived, lost: mine.length - survived };
  });
  const survived = results.filter((r) => r.survived).length;
  return { rows, injected: results.length, survived, lost: results.length - survived };
}
