import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadRegistry } from '../../src/tools/registry.ts';

// Only one file reaches the host, so shared helpers live in <tools>/lib/ and the registry inlines
// them where a script says `# pcm-include: lib/<name>.sh`. These checks keep each helper in exactly
// one place and the scripts, as they run, within the conventions. Every tool the registry finds is
// checked: adding a tool folder needs no edit here or in any test.

export type ToolScript = { readonly name: string; readonly tool: string; readonly raw: string; readonly expanded: string };
export type Library = { readonly path: string; readonly text: string };
export type ToolScripts = {
  readonly scripts: readonly ToolScript[];
  readonly libraries: readonly Library[];
  readonly orphans: readonly string[];
};

/** Every action's script as written and as it runs, the libraries, and script files no action uses. */
export const loadToolScripts = async (toolsDir: string): Promise<ToolScripts> => {
  const registry = await loadRegistry(toolsDir);
  const scripts = registry.tools.flatMap((t) =>
    t.actions.map((a) => ({
      name: `${t.id}/${a.script}`,
      tool: t.id,
      raw: readFileSync(path.join(toolsDir, t.id, 'scripts', a.script), 'utf8'),
      expanded: a.scriptContent,
    })),
  );
  const used = new Set(scripts.map((s) => s.name));
  const orphans = registry.tools.flatMap((t) =>
    readdirSync(path.join(toolsDir, t.id, 'scripts'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => `${t.id}/${f}`)
      .filter((n) => !used.has(n)),
  );
  const libraries = readdirSync(path.join(toolsDir, 'lib'))
    .filter((f) => f.endsWith('.sh'))
    .map((f) => ({ path: `lib/${f}`, text: readFileSync(path.join(toolsDir, 'lib', f), 'utf8') }));
  return { scripts, libraries, orphans };
};

export const includesOf = (text: string): string[] => [...text.matchAll(/^# pcm-include: (.*)$/gmu)].map((m) => m[1] ?? '');
const functionsOf = (text: string): string[] => [...text.matchAll(/^([a-z_][a-z0-9_]*)\(\) \{/gmu)].map((m) => m[1] ?? '');
// Runs of this many consecutive non-blank lines, the size at which a pasted copy is a copy.
const RUN = 6;
const runsOf = (text: string): string[] => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(0, Math.max(0, lines.length - RUN + 1)).map((_, i) => lines.slice(i, i + RUN).join('\n'));
};
const when = (broken: boolean, problem: string): string[] => (broken ? [problem] : []);

/** The per-script checks, each returning what is wrong (nothing when the script conforms). */
export const scriptChecks: Readonly<Record<string, (s: ToolScript, libraries: readonly Library[]) => string[]>> = {
  'includes the common library first and each library once': (s, libraries) => {
    const includes = includesOf(s.raw);
    return [
      ...when(includes[0] !== 'lib/pcm-lib.sh', 'does not include lib/pcm-lib.sh first'),
      ...includes.filter((p, i) => includes.indexOf(p) !== i).map((p) => `includes ${p} twice`),
      ...includes.filter((p) => !libraries.some((l) => l.path === p)).map((p) => `includes ${p}, which is not a library`),
    ];
  },
  'holds no leftover copy of a library': (s, libraries) => {
    const own = new Set(functionsOf(s.raw));
    const ownRuns = new Set(runsOf(s.raw));
    return [
      ...when(/^# ---- pcm-[a-z-]+ (begin|end)\b/mu.test(s.raw), 'holds a pasted library marker'),
      ...libraries
        .flatMap((l) => functionsOf(l.text))
        .filter((f) => own.has(f))
        .map((f) => `defines library function ${f}`),
      ...libraries
        .flatMap((l) => runsOf(l.text))
        .filter((r) => ownRuns.has(r))
        .map((r) => `repeats library lines: ${r.split('\n')[0]}`),
    ];
  },
  'runs with each library inlined verbatim': (s, libraries) => [
    ...when(/^# pcm-include:/mu.test(s.expanded), 'keeps an include line when expanded'),
    ...includesOf(s.raw)
      .filter((p) => !s.expanded.includes(libraries.find((l) => l.path === p)?.text ?? '\0'))
      .map((p) => `does not inline ${p}`),
  ],
  'follows the conventions as it runs': (s) => {
    const text = s.expanded;
    const code = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
    const rootReads = code.filter((l) => /\$\{?PCM_ROOT/u.test(l));
    return [
      ...when(!text.startsWith('#!/usr/bin/env bash\n'), 'does not start with #!/usr/bin/env bash'),
      ...when(!/^set -Eeuo pipefail$/mu.test(text), 'does not set -Eeuo pipefail'),
      ...when(!/^# Exit codes: 0 ok\/warn, 1 fail/mu.test(text), 'does not document its exit codes'),
      ...when(!text.trimEnd().endsWith('main "$@"'), 'does not end with main "$@"'),
      // Self-contained: nothing is sourced from the host.
      ...when(/^\s*(source|\.)\s/mu.test(text), 'sources a file from the host'),
      // Here-documents and here-strings need a writable temp dir on bash < 5.1; a full disk must not
      // break the checks that report it.
      ...when(/<<[<\-~A-Za-z'"]/u.test(text), 'uses a here-document or here-string'),
      // PCM_ROOT is read once (into ROOT) by the library; every file path goes through ROOT.
      ...when(JSON.stringify(rootReads) !== JSON.stringify(['ROOT=${PCM_ROOT:-}']), 'reads PCM_ROOT other than once into ROOT'),
      ...when(/set -x|xtrace/u.test(text), 'traces (set -x)'),
    ];
  },
};

/** What is wrong with the libraries as a set: unused ones, a function defined twice, a library that acts like a script. */
export const libraryProblems = ({ scripts, libraries }: ToolScripts): string[] => {
  const used = new Set(scripts.flatMap((s) => includesOf(s.raw)));
  const all = libraries.flatMap((l) => functionsOf(l.text));
  return [
    ...libraries.filter((l) => !used.has(l.path)).map((l) => `${l.path} is included by no script`),
    ...all.filter((f, i) => all.indexOf(f) !== i).map((f) => `${f} is defined by two libraries`),
    ...libraries.flatMap((l) => [
      // It runs inside a script: no shebang or shell options of its own, and it never calls main.
      ...when(!l.text.startsWith('# shellcheck shell=bash\n'), `${l.path} does not start with # shellcheck shell=bash`),
      ...when(/^#!|^set -|^main\b/mu.test(l.text), `${l.path} has a shebang, shell options or calls main`),
      ...when(!l.text.endsWith('\n'), `${l.path} does not end with a newline`),
    ]),
  ];
};
