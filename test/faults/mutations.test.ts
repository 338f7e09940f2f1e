import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyMutation, MUTATIONS, removeStatement } from './mutations.js';

describe('removeStatement', () => {
  it('removes exactly the nth occurrence and nothing else', () => {
    const src = 'a();\nawait x.sync();\nb();\nawait x.sync();\n';
    expect(removeStatement(src, 'await x.sync();', 1)).toBe('a();\nawait x.sync();\nb();\n/* removed by npm run mutations */\n');
    expect(removeStatement(src, 'await x.sync();')).toBe('a();\n/* removed by npm run mutations */\nb();\nawait x.sync();\n');
  });

  it('refuses an occurrence that is not there', () => {
    expect(() => removeStatement('a();', 'await x.sync();')).toThrow(/not found/);
    expect(() => removeStatement('await x.sync();', 'await x.sync();', 1)).toThrow(/not found/);
  });
});

// The list names statements by their text: an edit of the write path that renames one must update it.
it.each(MUTATIONS)('$file still holds "$text" (#$nth)', (m) => {
  expect(() => applyMutation(readFileSync(m.file, 'utf8'), m)).not.toThrow();
});
