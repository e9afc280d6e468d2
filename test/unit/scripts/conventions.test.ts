import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/simHost/index.ts';

// Only one file reaches the host, so shared helpers are copied into each script between markers.
// These checks keep the copies identical and the scripts within the conventions.
const tools = ['qc-prep', 'qc-post', 'sft-fix'];
const scripts = tools.flatMap((tool) => {
  const dir = path.join(repoRoot, 'src', 'tools', tool, 'scripts');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => ({ name: `${tool}/${f}`, tool, text: readFileSync(path.join(dir, f), 'utf8') }));
});

const block = (text: string, name: string): string | undefined => {
  const begin = text.indexOf(`# ---- ${name} begin`);
  const end = text.indexOf(`# ---- ${name} end ----`);
  return begin >= 0 && end > begin ? text.slice(begin, end) : undefined;
};

describe('script conventions', () => {
  it('finds all eight scripts', () => {
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
  });

  it.each([
    ['pcm-lib', scripts],
    ['pcm-qc-lib', scripts.filter((s) => s.tool !== 'sft-fix')],
    ['pcm-sft-lib', scripts.filter((s) => s.tool === 'sft-fix')],
  ])('the %s block is present and byte-identical', (name, members) => {
    const copies = members.map((s) => block(s.text, name));
    expect(copies.every((c) => c !== undefined)).toBe(true);
    expect(new Set(copies).size).toBe(1);
  });

  it.each(scripts.map((s) => [s.name, s.text]))('%s follows the conventions', (_name, text) => {
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
