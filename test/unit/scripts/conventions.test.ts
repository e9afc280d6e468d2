import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readScript } from '../../../src/tools/readScript.ts';
import { repoRoot } from '../../helpers/simHost/index.ts';

// Only one file reaches the host, so shared helpers live in src/tools/lib/ and the registry inlines
// them where a script says `# pcm-include: lib/<name>.sh`. These checks keep each helper in exactly
// one place and the scripts, as they run, within the conventions.
const toolsDir = path.join(repoRoot, 'src', 'tools');
const tools = ['qc-prep', 'qc-post', 'sft-fix'];
const scripts = await Promise.all(
  tools.flatMap((tool) =>
    readdirSync(path.join(toolsDir, tool, 'scripts'))
      .filter((f) => f.endsWith('.sh'))
      .map(async (f) => ({
        name: `${tool}/${f}`,
        tool,
        raw: readFileSync(path.join(toolsDir, tool, 'scripts', f), 'utf8'),
        expanded: await readScript(toolsDir, tool, f),
      })),
  ),
);
const libraries = readdirSync(path.join(toolsDir, 'lib'))
  .filter((f) => f.endsWith('.sh'))
  .map((f) => ({ path: `lib/${f}`, text: readFileSync(path.join(toolsDir, 'lib', f), 'utf8') }));
const library = (includePath: string): string => {
  const found = libraries.find((l) => l.path === includePath);
  if (!found) throw new Error(`no ${includePath}`);
  return found.text;
};

/** The libraries each script must include, in this order. */
const expectedIncludes = (tool: string): string[] => ['lib/pcm-lib.sh', tool === 'sft-fix' ? 'lib/pcm-sft-lib.sh' : 'lib/pcm-qc-lib.sh'];
const includesOf = (text: string): string[] => [...text.matchAll(/^# pcm-include: (.*)$/gmu)].map((m) => m[1] ?? '');
const functionsOf = (text: string): string[] => [...text.matchAll(/^([a-z_][a-z0-9_]*)\(\) \{/gmu)].map((m) => m[1] ?? '');
// Runs of this many consecutive non-blank lines, the size at which a pasted copy is a copy.
const RUN = 6;
const runsOf = (text: string): string[] => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(0, Math.max(0, lines.length - RUN + 1)).map((_, i) => lines.slice(i, i + RUN).join('\n'));
};

describe('script conventions', () => {
  it('finds all eight scripts and the three libraries', () => {
    expect(scripts.map((s) => s.name).sort()).toEqual([
      'qc-post/reboot-verification.sh',
      'qc-post/service-checks.sh',
      'qc-prep/final-report.sh',
      'qc-prep/initial-qc.sh',
      'qc-prep/kernel-staging.sh',
      'sft-fix/detection.sh',
      'sft-fix/enrollment.sh',
      'sft-fix/repair.sh',
    ]);
    expect(libraries.map((l) => l.path).sort()).toEqual(['lib/pcm-lib.sh', 'lib/pcm-qc-lib.sh', 'lib/pcm-sft-lib.sh']);
  });

  it.each(scripts.map((s) => [s.name, s]))('%s includes its libraries exactly once each', (_name, s) => {
    expect(includesOf(s.raw)).toEqual(expectedIncludes(s.tool));
  });

  it.each(scripts.map((s) => [s.name, s]))('%s holds no leftover copy of a library', (_name, s) => {
    expect(s.raw).not.toMatch(/^# ---- pcm-[a-z-]+ (begin|end)\b/mu);
    const own = new Set(functionsOf(s.raw));
    expect(libraries.flatMap((l) => functionsOf(l.text)).filter((f) => own.has(f))).toEqual([]);
    const ownRuns = new Set(runsOf(s.raw));
    expect(libraries.flatMap((l) => runsOf(l.text)).filter((r) => ownRuns.has(r))).toEqual([]);
  });

  it.each(scripts.map((s) => [s.name, s]))('%s runs with each library inlined verbatim', (_name, s) => {
    expect(s.expanded).not.toMatch(/^# pcm-include:/mu);
    for (const includePath of expectedIncludes(s.tool)) expect(s.expanded).toContain(library(includePath));
  });

  it('every library is included by some script, and none defines a function another does', () => {
    const used = new Set(scripts.flatMap((s) => includesOf(s.raw)));
    expect(libraries.map((l) => l.path).filter((p) => !used.has(p))).toEqual([]);
    const all = libraries.flatMap((l) => functionsOf(l.text));
    expect(all.filter((f, i) => all.indexOf(f) !== i)).toEqual([]);
  });

  it.each(libraries.map((l) => [l.path, l.text]))('%s is a library, not a script', (_path, text) => {
    // It runs inside a script: no shebang or shell options of its own, and it never calls main.
    expect(text.startsWith('# shellcheck shell=bash\n')).toBe(true);
    expect(text).not.toMatch(/^#!|^set -|^main\b/mu);
    expect(text.endsWith('\n')).toBe(true);
  });

  it.each(scripts.map((s) => [s.name, s.expanded]))('%s (expanded) follows the conventions', (_name, text) => {
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toMatch(/^set -Eeuo pipefail$/mu);
    expect(text).toMatch(/^# Exit codes: 0 ok\/warn, 1 fail/mu);
    expect(text.trimEnd().endsWith('main "$@"')).toBe(true);
    // Self-contained: nothing is sourced from the host.
    expect(text).not.toMatch(/^\s*(source|\.)\s/mu);
    // Here-documents and here-strings need a writable temp dir on bash < 5.1; a full disk must not
    // break the checks that report it.
    expect(text).not.toMatch(/<<[<\-~A-Za-z'"]/u);
    // PCM_ROOT is read once (into ROOT) by the library; every file path goes through ROOT.
    const code = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
    expect(code.filter((l) => /\$\{?PCM_ROOT/u.test(l))).toEqual(['ROOT=${PCM_ROOT:-}']);
    expect(text).not.toMatch(/set -x|xtrace/u);
  });
});
