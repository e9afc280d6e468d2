import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultToolsDir } from '../../../src/tools/registry.ts';
import { libraryProblems, loadToolScripts, scriptChecks } from '../../helpers/scriptConventions.ts';
import { repoRoot } from '../../helpers/simHost/index.ts';

const tools = await loadToolScripts(defaultToolsDir);
const checks = Object.entries(scriptChecks);

describe('script conventions (every tool the registry finds)', () => {
  it("finds every script file as some action's script", () => {
    expect(tools.scripts.length).toBeGreaterThan(0);
    expect(tools.orphans).toEqual([]);
  });

  it.each(tools.scripts.flatMap((s) => checks.map(([name, check]) => [s.name, name, s, check] as const)))(
    '%s %s',
    (_script, _check, s, check) => {
      expect(check(s, tools.libraries)).toEqual([]);
    },
  );

  it('every library is included by some script, defines its own functions and is a library, not a script', () => {
    expect(libraryProblems(tools)).toEqual([]);
  });
});

describe('a new tool folder is checked without editing any test', () => {
  let dir: string | undefined;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('discovers the echo fixture from its folder and reports how it departs from the conventions', async () => {
    // Beside test/fixtures/tools, so the fixture's relative imports still resolve from the copy.
    dir = mkdtempSync(path.join(repoRoot, 'test', 'fixtures', 'tools-tmp-'));
    cpSync(path.join(defaultToolsDir, 'lib'), path.join(dir, 'lib'), { recursive: true });
    cpSync(path.join(repoRoot, 'test', 'fixtures', 'tools', 'echo-tool'), path.join(dir, 'echo-tool'), { recursive: true });
    const found = await loadToolScripts(dir);
    expect(found.scripts.map((s) => s.name)).toEqual(['echo-tool/echo-params.sh']);
    const [echo] = found.scripts;
    if (!echo) throw new Error('echo-params.sh not found');
    // A test fixture, not a host script: it includes no library and exits by itself.
    expect(Object.fromEntries(checks.map(([name, check]) => [name, check(echo, found.libraries)]))).toEqual({
      'includes the common library first and each library once': ['does not include lib/pcm-lib.sh first'],
      'holds no leftover copy of a library': [],
      'runs with each library inlined verbatim': [],
      'follows the conventions as it runs': [
        'does not set -Eeuo pipefail',
        'does not document its exit codes',
        'does not end with main "$@"',
        'reads PCM_ROOT other than once into ROOT',
      ],
    });
    expect(libraryProblems(found)).toContain('lib/pcm-lib.sh is included by no script');
  });
});
