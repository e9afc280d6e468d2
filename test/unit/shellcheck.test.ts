import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readScript } from '../../src/tools/readScript.ts';

const toolsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/tools');
const libDir = path.join(toolsDir, 'lib');

const scripts = readdirSync(toolsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    try {
      return readdirSync(path.join(toolsDir, d.name, 'scripts'))
        .filter((f) => f.endsWith('.sh'))
        .map((f) => ({ tool: d.name, script: f }));
    } catch {
      return [];
    }
  })
  .sort((a, b) => `${a.tool}/${a.script}`.localeCompare(`${b.tool}/${b.script}`));

const libraries = readdirSync(libDir)
  .filter((f) => f.endsWith('.sh'))
  .sort()
  .map((f) => path.join(libDir, f));

// What runs is the expanded text, so that is what gets checked: each script with its libraries inlined.
const expandedDir = mkdtempSync(path.join(tmpdir(), 'pcm-shellcheck-'));
afterAll(() => rmSync(expandedDir, { recursive: true, force: true }));
const expanded = await Promise.all(
  scripts.map(async ({ tool, script }) => {
    const file = path.join(expandedDir, tool, script);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, await readScript(toolsDir, tool, script));
    return file;
  }),
);

const shellcheck = (file: string, extra: readonly string[] = []): string => {
  const run = spawnSync('shellcheck', ['-x', '-s', 'bash', '--format=gcc', ...extra, file], { encoding: 'utf8', cwd: path.dirname(file) });
  expect(run.error).toBeUndefined();
  expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  return `${run.stdout}${run.stderr}`;
};

describe('shellcheck', () => {
  it('is installed (a missing linter fails the suite rather than skipping it)', () => {
    const probe = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    expect(probe.error, 'shellcheck not found on PATH: apt-get install -y shellcheck').toBeUndefined();
    expect(probe.status).toBe(0);
  });

  it('finds the tool scripts and the libraries', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(8);
    expect(libraries.map((f) => path.basename(f))).toContain('pcm-lib.sh');
  });

  it.each(expanded.map((f) => [path.relative(expandedDir, f), f]))('%s (expanded) has no findings', (_name, file) => {
    expect(shellcheck(file)).toBe('');
  });

  // On its own too, so a finding points at the library line. SC2034 ("appears unused") is left to
  // the expanded scripts above: a library's globals are outputs that the including scripts read.
  it.each(libraries.map((f) => [path.relative(toolsDir, f), f]))('%s (on its own) has no findings', (_name, file) => {
    expect(shellcheck(file, ['-e', 'SC2034'])).toBe('');
  });
});
