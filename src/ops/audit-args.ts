// Tool arguments as the audit log keeps them: what was asked, never the file
// contents carried, and bounded whatever a client sends (a hostile client can
// send deep, wide or huge arguments; the audit line must stay small).

/** Argument names whose values are file contents: replaced by their length. */
export const CONTENT_KEYS: ReadonlySet<string> = new Set(['content', 'data', 'bytes']);
/** Longest string kept, characters; the rest is replaced by a count. */
export const MAX_STRING_CHARS = 512;
/** Items kept per array and keys per object. */
export const MAX_ITEMS = 32;
/** Nesting kept; deeper values are replaced by a marker. */
export const MAX_DEPTH = 4;

export type AuditValue = string | number | boolean | null | AuditValue[] | { [key: string]: AuditValue };

function cutString(s: string): string {
  return s.length <= MAX_STRING_CHARS ? s : `${s.slice(0, MAX_STRING_CHARS)}...(+${s.length - MAX_STRING_CHARS} chars)`;
}

function redactValue(value: unknown, depth: number): AuditValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return cutString(value);
  if (typeof value !== 'object') return `(${typeof value})`;
  if (depth >= MAX_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ITEMS).map((v) => redactValue(v, depth + 1));
    return value.length > MAX_ITEMS ? [...kept, `(+${value.length - MAX_ITEMS} items)`] : kept;
  }
  const out: { [key: string]: AuditValue } = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries.slice(0, MAX_ITEMS)) {
    const k = cutString(key);
    out[k] = CONTENT_KEYS.has(key) ? contentSummary(v) : redactValue(v, depth + 1);
  }
  if (entries.length > MAX_ITEMS) out['(more keys)'] = entries.length - MAX_ITEMS;
  return out;
}

/** File contents are never logged: only that they were there, and how long they were. */
function contentSummary(value: unknown): AuditValue {
  if (typeof value === 'string') return `(omitted: ${value.length} chars)`;
  return '(omitted)';
}

/** The arguments of a tool call as the audit log records them. */
export function auditArguments(args: unknown): AuditValue {
  return redactValue(args ?? {}, 0);
}

/** Characters of `content`-like arguments, the bytes a call brought in (as sent, before any base64 decoding). */
export function contentChars(args: unknown): number {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return 0;
  let n = 0;
  for (const [key, v] of Object.entries(args as Record<string, unknown>)) if (CONTENT_KEYS.has(key) && typeof v === 'string') n += v.length;
  return n;
}
