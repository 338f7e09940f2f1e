// Exact-text edits of a file's content, the rule behind the `edit` tool. Pure.
// Edits apply in order, each to the result of the ones before it; each
// `oldText` must occur exactly once at that point, or nothing is applied.
import { MeshError } from '../../errors.js';

export interface TextEdit {
  oldText: string;
  newText: string;
}

/** Edits one call may carry: more is a script, not an edit. */
export const MAX_EDITS = 100;

/** Index of the only occurrence of `needle` in `text`; -1 when missing, -2 when it occurs more than once. */
export function uniqueIndexOf(text: string, needle: string): number {
  const first = text.indexOf(needle);
  if (first < 0) return -1;
  // Overlapping occurrences count ("aa" twice in "aaa"): either one could be meant.
  return text.indexOf(needle, first + 1) >= 0 ? -2 : first;
}

/**
 * Apply `edits` to `text` and return the new text. Throws EDIT_NO_MATCH or
 * EDIT_AMBIGUOUS naming the edit (by index, from 0), INVALID_ARGUMENT for an
 * empty `oldText`; on any refusal nothing is applied (the caller still holds
 * the original).
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  if (edits.length === 0) throw new MeshError('INVALID_ARGUMENT', 'edits is empty; give at least one {oldText, newText}');
  if (edits.length > MAX_EDITS) throw new MeshError('INVALID_ARGUMENT', `${edits.length} edits in one call; at most ${MAX_EDITS}`, { limit: MAX_EDITS });
  let out = text;
  edits.forEach((edit, index) => {
    if (edit.oldText === '') throw new MeshError('INVALID_ARGUMENT', `edits[${index}].oldText is empty; name the text to replace`, { index });
    const at = uniqueIndexOf(out, edit.oldText);
    if (at === -1) {
      throw new MeshError('EDIT_NO_MATCH', `edits[${index}].oldText ${preview(edit.oldText)} is not in the file${index > 0 ? ' (after the edits before it)' : ''}`, { index });
    }
    if (at === -2) {
      throw new MeshError('EDIT_AMBIGUOUS', `edits[${index}].oldText ${preview(edit.oldText)} occurs ${countOccurrences(out, edit.oldText)} times; it must occur once`, { index });
    }
    out = out.slice(0, at) + edit.newText + out.slice(at + edit.oldText.length);
  });
  return out;
}

/** Occurrences of `needle`, overlapping ones included, counted up to 1,000. */
function countOccurrences(text: string, needle: string): string {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0 && n < 1000; i = text.indexOf(needle, i + 1)) n++;
  return n >= 1000 ? 'at least 1000' : String(n);
}

function preview(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}
