// Label values that an attacker chooses (node ids, tool names from a client)
// must not grow the metrics without bound: each new value is a new time
// series in the hub's memory and in Prometheus. The first `max` values seen
// keep their name; any later one is folded into OTHER_LABEL.

/** What every value past the cap is reported as. Not a valid node id, so it never collides with one. */
export const OTHER_LABEL = '_other';

/** Default number of distinct values kept per label. */
export const DEFAULT_LABEL_VALUES = 100;

/** Longest label value kept, characters; longer ones are cut (a node id is at most 128). */
export const MAX_LABEL_CHARS = 128;

export class BoundedLabels {
  private readonly seen = new Set<string>();

  constructor(readonly max = DEFAULT_LABEL_VALUES) {}

  /** The label value to report for `value`: itself while there is room (or it was seen before), else OTHER_LABEL. */
  label(value: string): string {
    const v = value.slice(0, MAX_LABEL_CHARS);
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(v);
    return v;
  }

  get size(): number {
    return this.seen.size;
  }
}
