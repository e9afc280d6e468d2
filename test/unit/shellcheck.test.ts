import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const toolsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/tools');

const scripts = readdirSync(toolsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    const dir = path.join(toolsDir, d.name, 'scripts');
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  })
  .sort();

describe('shellcheck', () => {
  it('is installed (a missing linter fails the suite rather than skipping it)', () => {
    const probe = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    expect(probe.error, 'shellcheck not found on PATH: apt-get install -y shellcheck').toBeUndefined();
    expect(probe.status).toBe(0);
  });

  it('finds the tool scripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(8);
  });

  it.each(scripts.map((s) => [path.relative(toolsDir, s), s]))('%s has no findings', (_name, file) => {
    const run = spawnSync('shellcheck', ['-x', '-s', 'bash', '--format=gcc', file], { encoding: 'utf8', cwd: path.dirname(file) });
    expect(run.error).toBeUndefined();
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });
});
