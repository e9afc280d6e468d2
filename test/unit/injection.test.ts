import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRegistry } from '../../src/tools/registry.ts';
import type { LoadedAction } from '../../src/tools/registry.ts';

// Every string/enum parameter of every action of every tool (the real ones in src/tools, whatever
// exists when this runs, and the test fixture) must refuse a corpus of injection payloads, and every
// parameter must be declared as a strict allow-list. Quoting (see buildCommands.test.ts) already keeps
// values inert in the shell; this is the second wall: scripts may use values carelessly (unquoted, as
// command options, as paths), so hostile values must never get that far.

// ---------------------------------------------------------------------------------------------------
// Walking zod 4 schemas (internal `_zod.def`; pinned by the tests of the guard below).

type Check = { readonly _zod: { readonly def: { readonly check: string; readonly pattern?: RegExp } } };
type Def = {
  readonly type: string;
  readonly innerType?: Schema;
  readonly checks?: readonly Check[];
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly entries?: Readonly<Record<string, unknown>>;
  readonly values?: readonly unknown[];
  readonly options?: readonly Schema[];
};
type Schema = { readonly _zod: { readonly def: Def } };

const asSchema = (schema: unknown): Schema => schema as Schema;

/** Wrappers that do not change which values are accepted. (`catch` is not one: it swallows refusals.) */
const TRANSPARENT = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional']);

const unwrap = (schema: Schema): Schema => {
  let current = schema;
  while (TRANSPARENT.has(current._zod.def.type) && current._zod.def.innerType) current = current._zod.def.innerType;
  return current;
};

/** Top-level `|` makes `^a|b$` mean `(^a)|(b$)`: neither alternative is anchored at both ends. */
const hasTopLevelAlternation = (source: string): boolean => {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
};

/** Constructs that turn a pattern into a deny-list or a match-anything: `.`, `[^…]`, `\s \S \W \D \P`. */
const permissiveConstruct = (source: string): string | undefined => {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[++i] ?? '';
      if ('sSWDP'.includes(next)) return `\\${next}`;
    } else if (inClass) inClass = c !== ']';
    else if (c === '[') {
      inClass = true;
      if (source[i + 1] === '^') return '[^…]';
    } else if (c === '.') return 'an unescaped "."';
  }
  return undefined;
};

const regexProblems = (re: RegExp): string[] => {
  const problems: string[] = [];
  const source = re.source;
  if (re.flags.includes('m')) problems.push(`/${source}/${re.flags} has the m flag (^ and $ then match at every line break)`);
  if (!source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) problems.push(`/${source}/ is not anchored with ^…$`);
  if (hasTopLevelAlternation(source)) problems.push(`/${source}/ has a top-level | (wrap the alternatives in a group)`);
  const permissive = permissiveConstruct(source);
  if (permissive) problems.push(`/${source}/ uses ${permissive}: an allow-list names what it accepts`);
  return problems;
};

/** Why `schema` is not a strict allow-list; empty when it is. */
const allowListProblems = (schema: Schema): string[] => {
  const inner = unwrap(schema);
  const def = inner._zod.def;
  switch (def.type) {
    case 'string': {
      const patterns = (def.checks ?? []).flatMap((c) => (c._zod.def.pattern ? [c._zod.def.pattern] : []));
      if (def.format && def.pattern) patterns.push(def.pattern);
      const problems = patterns.flatMap(regexProblems);
      if (patterns.length === 0) problems.push('is a string without a regex (use .regex(/^…$/u) or z.enum)');
      const maxLength = (inner as unknown as { maxLength?: number | null }).maxLength;
      if (typeof maxLength !== 'number' || !Number.isFinite(maxLength)) problems.push('is a string without .max(n)');
      return problems;
    }
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      if (values.length === 0) return ['is an empty enum'];
      return values.flatMap((v) =>
        (typeof v === 'string' && v !== '' && v.isWellFormed() && !v.includes('\0')) || typeof v === 'number'
          ? []
          : [`has enum value ${JSON.stringify(v)}`],
      );
    }
    case 'literal':
      return (def.values ?? []).flatMap((v) => (['string', 'number', 'boolean'].includes(typeof v) ? [] : [`has literal ${String(v)}`]));
    case 'number': {
      const { minValue, maxValue } = inner as unknown as { minValue: number | null; maxValue: number | null };
      return Number.isFinite(minValue) && Number.isFinite(maxValue) ? [] : ['is a number without finite .min() and .max()'];
    }
    case 'boolean':
      return [];
    case 'union':
      return (def.options ?? []).flatMap(allowListProblems);
    case 'catch':
      return ['uses .catch(): it replaces refused values instead of refusing them'];
    case 'pipe':
    case 'transform':
      return [`is a ${def.type}: the value must reach the script exactly as validated`];
    default:
      return [`is a ${def.type}: not a supported parameter kind (enum, regex string, bounded number, boolean)`];
  }
};

const actionProblems = (action: LoadedAction): string[] =>
  Object.entries(action.params.shape).flatMap(([key, field]) =>
    allowListProblems(asSchema(field)).map((p) => `${action.toolId}/${action.id} parameter "${key}" ${p}`),
  );

// ---------------------------------------------------------------------------------------------------
// The corpus.

const PAYLOADS: readonly (readonly [name: string, value: string])[] = [
  ['semicolon', 'x; reboot'],
  ['bare semicolon', ';'],
  ['and', 'x && reboot'],
  ['or', 'x || reboot'],
  ['pipe', 'x | sh'],
  ['background', 'x & reboot'],
  ['command substitution', '$(reboot)'],
  ['backticks', '`reboot`'],
  ['variable expansion', '$HOME'],
  ['IFS', 'x${IFS}reboot'],
  ['arithmetic expansion', '$((1+1))'],
  ['brace expansion', '{a,b}'],
  ['process substitution', '<(reboot)'],
  ['output redirect', '>/etc/passwd'],
  ['input redirect', '</etc/shadow'],
  ['heredoc', '<<EOF'],
  ['newline', 'x\nreboot'],
  ['trailing newline', 'x\n'],
  ['leading newline', '\nx'],
  ['CR', 'x\rreboot'],
  ['CRLF', 'x\r\n'],
  ['vertical tab and form feed', 'x\v\fy'],
  ['unicode line separator', 'x\u2028reboot'],
  ['single quote', "x'y"],
  ['double quote', 'x"y'],
  ['backslash', 'x\\y'],
  ['quote escape', String.raw`'\''`],
  ['single-quote breakout', "'; reboot; '"],
  ['double-quote breakout', '"; reboot; "'],
  ['NUL', 'x\0y'],
  ['NUL alone', '\0'],
  ['10k characters', 'a'.repeat(10_000)],
  ['100k digits', '1'.repeat(100_000)],
  ['10k labels', 'a.'.repeat(5_000) + 'a'],
  ['fullwidth semicolon', 'x\uff1breboot'],
  ['Greek question mark', 'x\u037ereboot'],
  ['zero-width joiner', 'x\u200dy'],
  ['zero-width space', 'x\u200by'],
  ['right-to-left override', 'x\u202ey'],
  ['byte order mark', '\ufeffx'],
  ['no-break space', 'x\u00a0y'],
  ['glob star', '*'],
  ['glob question mark', '?'],
  ['glob class', '[a-z]*'],
  ['tilde', '~root'],
  ['rm -rf /', '-rf /'],
  ['long option', '--option'],
  ['long option with value', '--output=/etc/passwd'],
  ['short option', '-x'],
  ['ssh option', '-oProxyCommand=reboot'],
  ['path traversal', '../../etc/passwd'],
  ['absolute traversal', '/var/log/../../etc/shadow'],
  ['dot dot', '..'],
  ['URL-encoded newline', 'x%0areboot'],
  ['URL-encoded NUL', 'x%00'],
  ['Arabic-Indic digits', '\u0661\u0662\u0663'],
  ['fullwidth digits', '\uff11\uff12\uff13'],
  ['Devanagari digits', '\u0967\u0968\u0969'],
  ['mathematical digits', '\u{1d7ce}\u{1d7cf}'],
  ['whitespace only', '   '],
  ['tab only', '\t'],
  ['empty', ''],
  ['comment', '# x'],
  ['history expansion', '!!'],
  ['environment assignment', 'LD_PRELOAD=/tmp/x.so'],
  ['ANSI escape', '\u001b[31mx'],
  ['bell', '\u0007'],
  ['format string', '%s%n%x'],
];

/**
 * Hostile variations of a value the field accepts: the weak spot of unanchored or multiline regexes.
 * Only characters no parameter needs (spaces are left out: free-text fields may allow them).
 */
const SUFFIXES = [
  ';reboot',
  '\n',
  '\nreboot',
  '\r',
  "'",
  '"',
  '$(reboot)',
  '`reboot`',
  '\0',
  '\uff1b',
  '\u200d',
  '/../../etc',
  'a'.repeat(10_000),
];
const PREFIXES = ['-', '--', '\n', '../', '\u202e', '$(reboot)'];

/** Values the field accepts, from its enum or literal values and its `.meta({ placeholder, examples })`. */
const examplesOf = (field: Schema): string[] => {
  const inner = unwrap(field);
  const def = inner._zod.def;
  const candidates: unknown[] = [...Object.values(def.entries ?? {}), ...(def.values ?? [])];
  for (const s of [field, inner]) {
    const meta = z.globalRegistry.get(s as unknown as z.ZodType) as
      { placeholder?: unknown; examples?: unknown; default?: unknown } | undefined;
    candidates.push(meta?.placeholder, ...(Array.isArray(meta?.examples) ? meta.examples : []));
  }
  const valid = candidates.filter((c): c is string => typeof c === 'string' && (field as unknown as z.ZodType).safeParse(c).success);
  return [...new Set(valid)];
};

const payloadsFor = (field: Schema): (readonly [string, string])[] => [
  ...PAYLOADS,
  ...examplesOf(field).flatMap((example) => [
    ...SUFFIXES.map((s) => [`${JSON.stringify(example)} + ${JSON.stringify(s.slice(0, 12))}`, example + s] as const),
    ...PREFIXES.map((p) => [`${JSON.stringify(p)} + ${JSON.stringify(example)}`, p + example] as const),
  ]),
];

/** The string-ish fields of an action (everything but numbers and booleans). */
const stringFields = (action: LoadedAction): [string, Schema][] =>
  Object.entries(action.params.shape)
    .map(([key, field]): [string, Schema] => [key, asSchema(field)])
    .filter(([, field]) => !['number', 'boolean', 'bigint'].includes(unwrap(field)._zod.def.type));

/** How `payload` fared for `key`: undefined when refused clearly, else what went wrong. */
const verdict = (action: LoadedAction, key: string, payload: string): string | undefined => {
  const result = action.params.safeParse({ [key]: payload });
  if (result.success) return 'accepted';
  const issues = result.error.issues.filter((i) => i.path[0] === key);
  if (issues.length === 0) return 'accepted (no issue at this field)';
  if (issues.some((i) => typeof i.message !== 'string' || i.message.trim() === '')) return 'refused without a message';
  if (!z.prettifyError(result.error).includes(`→ at ${key}`)) return 'refused without naming the field';
  return undefined;
};

const fixtureRegistry = await loadRegistry(fileURLToPath(new URL('../fixtures/tools', import.meta.url)));
const realRegistry = await loadRegistry();
const actionsOf = (registry: typeof realRegistry) => registry.tools.flatMap((t) => t.actions);
const allActions = [...actionsOf(realRegistry), ...actionsOf(fixtureRegistry)];
const fields = allActions.flatMap((action) =>
  stringFields(action).map(([key, field]) => ({ action, key, field, label: `${action.toolId}/${action.id} ${key}` })),
);

// ---------------------------------------------------------------------------------------------------

describe('injection corpus', () => {
  it('has at least 50 distinct payloads', () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(PAYLOADS.map(([, v]) => v)).size).toBe(PAYLOADS.length);
    expect(new Set(PAYLOADS.map(([n]) => n)).size).toBe(PAYLOADS.length);
  });

  it('covers the fixture tool and every real tool found in src/tools', () => {
    expect(fields.some((f) => f.action.toolId === 'echo-tool')).toBe(true);
    // Visible in the test output: which real tools this run actually checked.
    console.info(`injection corpus: real tools checked: ${realRegistry.tools.map((t) => t.id).join(', ') || '(none yet)'}`);
  });

  it.each(fields)('is refused, with a message naming the field, by $label', ({ action, key, field }) => {
    const failures = payloadsFor(field).flatMap(([name, payload]) => {
      const problem = verdict(action, key, payload);
      return problem ? [`${name}: ${problem}`] : [];
    });
    expect(failures).toEqual([]);
  });
});

describe('allow-list guard: no action declares an unconstrained parameter', () => {
  it.each(allActions.map((action) => ({ action, label: `${action.toolId}/${action.id}` })))('$label', ({ action }) => {
    expect(actionProblems(action)).toEqual([]);
  });

  it('flags what it must flag', () => {
    const problems = (schema: z.ZodType) => allowListProblems(asSchema(schema));
    expect(problems(z.string())).toEqual(['is a string without a regex (use .regex(/^…$/u) or z.enum)', 'is a string without .max(n)']);
    expect(problems(z.string().max(10))).toEqual(['is a string without a regex (use .regex(/^…$/u) or z.enum)']);
    expect(problems(z.string().regex(/^[a-z]+$/u))).toEqual(['is a string without .max(n)']);
    expect(
      problems(
        z
          .string()
          .regex(/^[a-z]+$/u)
          .max(10)
          .optional(),
      ),
    ).toEqual([]);
    expect(
      problems(
        z
          .string()
          .regex(/[a-z]+/u)
          .max(10),
      ),
    ).toEqual(['/[a-z]+/ is not anchored with ^…$']);
    expect(
      problems(
        z
          .string()
          .regex(/^[a-z]+$/mu)
          .max(10),
      ),
    ).toEqual(['/^[a-z]+$/mu has the m flag (^ and $ then match at every line break)']);
    expect(problems(z.string().regex(/^a|b$/u).max(10))).toEqual(['/^a|b$/ has a top-level | (wrap the alternatives in a group)']);
    expect(
      problems(
        z
          .string()
          .regex(/^(?:a|b)$/u)
          .max(10),
      ),
    ).toEqual([]);
    expect(
      problems(
        z
          .string()
          .regex(/^.{1,10}$/u)
          .max(10),
      ),
    ).toEqual(['/^.{1,10}$/ uses an unescaped ".": an allow-list names what it accepts']);
    expect(
      problems(
        z
          .string()
          .regex(/^[^;&|]+$/u)
          .max(10),
      ),
    ).toEqual(['/^[^;&|]+$/ uses [^…]: an allow-list names what it accepts']);
    expect(problems(z.string().regex(/^\S+$/u).max(10))).toEqual(['/^\\S+$/ uses \\S: an allow-list names what it accepts']);
    expect(
      problems(
        z
          .string()
          .regex(/^[a-z.]+\.[a-z]$/u)
          .max(10),
      ),
    ).toEqual([]);
    expect(problems(z.uuid().max(36))).toEqual([]);
    expect(problems(z.number())).toEqual(['is a number without finite .min() and .max()']);
    expect(problems(z.int().min(1).max(5))).toEqual([]);
    expect(problems(z.coerce.number().min(1).max(5))).toEqual([]);
    expect(problems(z.enum(['a', 'b']).default('a'))).toEqual([]);
    expect(problems(z.union([z.literal('a'), z.literal('b')]))).toEqual([]);
    expect(problems(z.union([z.literal('a'), z.string()]))).toHaveLength(2);
    expect(problems(z.enum(['a']).catch('a'))).toEqual(['uses .catch(): it replaces refused values instead of refusing them']);
    expect(
      problems(
        z
          .string()
          .regex(/^a$/u)
          .max(1)
          .transform((s) => s),
      ),
    ).toEqual(['is a pipe: the value must reach the script exactly as validated']);
    expect(problems(z.any())).toEqual(['is a any: not a supported parameter kind (enum, regex string, bounded number, boolean)']);
    expect(problems(z.array(z.enum(['a'])))).toHaveLength(1);
  });

  it('and the corpus catches what a weak schema lets through', () => {
    const weak = {
      ...fixtureRegistry.tools[0]!.actions[0]!,
      params: z.object({
        host: z
          .string()
          .regex(/^[a-z0-9.-]+$/mu)
          .max(300),
      }),
    } as LoadedAction;
    const accepted = payloadsFor(asSchema(weak.params.shape.host))
      .filter(([, p]) => verdict(weak, 'host', p) !== undefined)
      .map(([n]) => n);
    expect(accepted).toEqual(
      expect.arrayContaining(['newline', 'trailing newline', 'leading newline', 'long option', 'short option', 'dot dot']),
    );
  });
});
