import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/tools/shellQuote.ts';
import { createShellSandbox, OUTERS, type ShellSandbox } from '../helpers/shells.ts';

let shells: ShellSandbox;
beforeAll(() => {
  shells = createShellSandbox('pcm-shell-quote');
});
afterAll(() => shells.remove());

describe('shellQuote', () => {
  it('single-quotes and escapes only the single quote', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(String.raw`'it'\''s'`);
    expect(shellQuote('$(x) `y` \\ "z"\n')).toBe('\'$(x) `y` \\ "z"\n\'');
  });

  it('refuses NUL and lone surrogates', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/u);
    expect(() => shellQuote('a\uD800b')).toThrow(/well-formed/u);
  });

  it('round-trips a batch of 3000 arbitrary strings byte-exactly in one process per shell', () => {
    const values = fc.sample(
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\0', '')),
      { numRuns: 3000, seed: 42 },
    );
    values.push("'\\''", "'", '\n', '\r\n', '$(touch pwned)', '`touch pwned`', '');
    const commands = [`printf '%s\\0' ${values.map(shellQuote).join(' ')}`];
    const expected = Buffer.concat(values.map((v) => Buffer.from(`${v}\0`, 'utf8')));
    for (const outer of OUTERS) {
      const result = shells.run(outer, commands, { cwd: shells.workDir });
      expect(result.stderr, outer.name).toBe('');
      expect(result.stdout.equals(expected), outer.name).toBe(true);
    }
    expect(readdirSync(shells.workDir)).toEqual([]);
  });
});
