import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { expandIncludes } from '../../src/tools/expandIncludes.ts';
import type { LibraryReader } from '../../src/tools/expandIncludes.ts';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A reader over an in-memory folder; an absent file fails like readFile does. */
const readerOf = (files: Readonly<Record<string, string>>): LibraryReader =>
  vi.fn(async (includePath: string) => {
    const text = files[includePath];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${includePath}'`), { code: 'ENOENT' });
    return text;
  });

const LIB = 'pcm_hello() { echo hello; }\n';
const script = (...middle: string[]): string =>
  ['#!/usr/bin/env bash', 'set -Eeuo pipefail', ...middle, 'main() { pcm_hello; }', 'main "$@"', ''].join('\n');

describe('expandIncludes', () => {
  it('replaces the directive line with the library framed by its path and sha256, and nothing else', async () => {
    const expanded = await expandIncludes(script('# pcm-include: lib/pcm-lib.sh'), readerOf({ 'lib/pcm-lib.sh': LIB }));
    expect(expanded).toBe(
      script(
        `# ---- pcm-include begin: lib/pcm-lib.sh sha256=${sha256(LIB)} ----`,
        LIB.trimEnd(),
        '# ---- pcm-include end: lib/pcm-lib.sh ----',
      ),
    );
  });

  it('expands several libraries in the order the script names them', async () => {
    const read = readerOf({ 'lib/a.sh': 'a=1\n', 'lib/b-2.sh': 'b=2\n' });
    const expanded = await expandIncludes(script('# pcm-include: lib/b-2.sh', '', '# pcm-include: lib/a.sh'), read);
    expect(expanded.indexOf('b=2\n')).toBeGreaterThan(0);
    expect(expanded.indexOf('a=1\n')).toBeGreaterThan(expanded.indexOf('b=2\n'));
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('leaves a script without directives byte-identical and reads nothing', async () => {
    const read = readerOf({});
    const text = script('# a comment that mentions include, not a directive', 'echo "# pcm-include: lib/x.sh"');
    expect(await expandIncludes(text, read)).toBe(text);
    expect(read).not.toHaveBeenCalled();
  });

  it('refuses an unknown library', async () => {
    await expect(expandIncludes(script('# pcm-include: lib/nope.sh'), readerOf({}))).rejects.toThrow(/unknown library lib\/nope\.sh/u);
  });

  it.each([
    '../x.sh',
    'lib/../../etc/passwd',
    'lib/../x.sh',
    '/etc/passwd',
    'lib/sub/x.sh',
    'lib/X.sh',
    'lib/x.bash',
    'lib/.sh',
    'lib/x.sh ',
    'x.sh',
    '',
  ])('refuses the path %j without reading anything', async (includePath) => {
    const read = readerOf({ [includePath]: LIB });
    await expect(expandIncludes(script(`# pcm-include: ${includePath}`), read)).rejects.toThrow(/bad include/u);
    expect(read).not.toHaveBeenCalled();
  });

  it.each([
    '#pcm-include: lib/pcm-lib.sh',
    '  # pcm-include: lib/pcm-lib.sh',
    '# pcm-include lib/pcm-lib.sh',
    '# pcm-include:lib/pcm-lib.sh',
  ])('refuses the near miss %j rather than shipping the script without its library', async (line) => {
    await expect(expandIncludes(script(line), readerOf({ 'lib/pcm-lib.sh': LIB }))).rejects.toThrow(/bad include/u);
  });

  it('refuses a library that includes another', async () => {
    const read = readerOf({ 'lib/outer.sh': 'x=1\n# pcm-include: lib/inner.sh\n', 'lib/inner.sh': 'y=2\n' });
    await expect(expandIncludes(script('# pcm-include: lib/outer.sh'), read)).rejects.toThrow(
      /lib\/outer\.sh: a library may not include another/u,
    );
  });

  it('refuses a library included twice', async () => {
    const text = script('# pcm-include: lib/pcm-lib.sh', '# pcm-include: lib/pcm-lib.sh');
    await expect(expandIncludes(text, readerOf({ 'lib/pcm-lib.sh': LIB }))).rejects.toThrow(/lib\/pcm-lib\.sh is included more than once/u);
  });

  it('refuses a library without a final newline (the end marker must start its own line)', async () => {
    await expect(expandIncludes(script('# pcm-include: lib/pcm-lib.sh'), readerOf({ 'lib/pcm-lib.sh': 'x=1' }))).rejects.toThrow(
      /must end with a newline/u,
    );
  });

  it('changes the expanded text, and so its hash, when only the library changes', async () => {
    const text = script('# pcm-include: lib/pcm-lib.sh');
    const before = await expandIncludes(text, readerOf({ 'lib/pcm-lib.sh': LIB }));
    const changed = LIB.replace('hello', 'hullo');
    const after = await expandIncludes(text, readerOf({ 'lib/pcm-lib.sh': changed }));
    expect(sha256(after)).not.toBe(sha256(before));
    expect(after).toContain(`sha256=${sha256(changed)} `);
    expect(await expandIncludes(text, readerOf({ 'lib/pcm-lib.sh': LIB }))).toBe(before);
  });
});
