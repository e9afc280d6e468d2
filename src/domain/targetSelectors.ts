import { parseInstanceIds } from './instanceIds.ts';

/**
 * What a request may name in its paste box, one selector a line (ids and names may share lines, separated
 * by spaces or commas):
 *   i-0123… / mi-…              instance ids
 *   web-01.example.internal     computer names (as SSM reports them), looked up in the inventory
 *   tag:PatchGroup=prod-a       instances with that tag value; `tag:Env=prod,stage` for several values
 *   tag-key:Owner               instances that carry the tag key, whatever its value
 *   step:qc-prep/initial-qc=success   instances where that action succeeded (or `=failed`) under this change
 *   rerun:<run id>              the instances of that run that failed, timed out or were undeliverable
 *   rerun:<run id>/<cause key>  only those of one cause group of its summary
 */
export type TargetSelector =
  | { readonly kind: 'ids'; readonly ids: readonly string[] }
  | { readonly kind: 'names'; readonly names: readonly string[] }
  | { readonly kind: 'tag'; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: 'tag-key'; readonly keys: readonly string[] }
  | { readonly kind: 'step'; readonly tool: string; readonly action: string; readonly outcome: StepOutcome }
  | { readonly kind: 'rerun'; readonly runId: string; readonly causeKey?: string };

export type StepOutcome = 'success' | 'failed';

export type ParsedSelectors = { readonly selectors: readonly TargetSelector[]; readonly invalid: readonly string[] };

// AWS tag keys: up to 128 of letters, digits, spaces and + - = . _ : / @; values up to 256 (no commas here:
// the comma separates values). `aws:` keys are AWS's own and not filterable by users.
const TAG_KEY = /^[\p{L}\p{N} +\-=._:/@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{N} +\-=._:/@]{1,256}$/u;
// RFC 1123 host names (SSM's ComputerName), case-insensitive.
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/iu;
const STEP = /^([a-z0-9][a-z0-9-]{0,40})\/([a-z0-9][a-z0-9-]{0,40})(?:=(success|succeeded|failed))?$/u;

const RERUN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/([0-9a-f]{10}))?$/u;

/** Upper bound on selector lines, whatever the box holds (bounded work at submit). */
export const MAX_SELECTOR_LINES = 200;

const tagLine = (body: string): TargetSelector | undefined => {
  const eq = body.indexOf('=');
  if (eq <= 0) return undefined;
  const key = body.slice(0, eq).trim();
  const values = [
    ...new Set(
      body
        .slice(eq + 1)
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:') || values.length === 0 || !values.every((v) => TAG_VALUE.test(v)))
    return undefined;
  return { kind: 'tag', key, values };
};

const tagKeyLine = (body: string): TargetSelector | undefined => {
  const keys = [
    ...new Set(
      body
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    ),
  ];
  if (keys.length === 0 || !keys.every((k) => TAG_KEY.test(k) && !k.toLowerCase().startsWith('aws:'))) return undefined;
  return { kind: 'tag-key', keys };
};

const stepLine = (body: string): TargetSelector | undefined => {
  const m = STEP.exec(body.trim().toLowerCase());
  if (!m?.[1] || !m[2]) return undefined;
  return { kind: 'step', tool: m[1], action: m[2], outcome: m[3] === 'failed' ? 'failed' : 'success' };
};

/** One token of a target list (paste box, uploaded file, picker): an instance id, a computer name, or neither. */
export const classifyTargetToken = (token: string): { kind: 'id' | 'name'; value: string } | undefined => {
  const id = parseInstanceIds(token).ids[0];
  if (id) return { kind: 'id', value: id };
  // A malformed id (`i-xyz`) is a typo, not a host name.
  if (HOST_NAME.test(token) && !/^m?i-/iu.test(token)) return { kind: 'name', value: token.toLowerCase() };
  return undefined;
};

/**
 * The union of several target lists (paste box, picker, file), de-duplicated: one `ids` and one `names`
 * selector first, then the other selectors in order.
 */
export const mergeSelectors = (lists: readonly (readonly TargetSelector[])[]): TargetSelector[] => {
  const all = lists.flat();
  const ids = [...new Set(all.flatMap((s) => (s.kind === 'ids' ? s.ids : [])))];
  const names = [...new Set(all.flatMap((s) => (s.kind === 'names' ? s.names : [])))];
  return [
    ...(ids.length > 0 ? [{ kind: 'ids', ids } as const] : []),
    ...(names.length > 0 ? [{ kind: 'names', names } as const] : []),
    ...all.filter((s) => s.kind !== 'ids' && s.kind !== 'names'),
  ];
};

const rerunLine = (body: string): TargetSelector | undefined => {
  const m = RERUN.exec(body.trim().toLowerCase());
  if (!m?.[1]) return undefined;
  return { kind: 'rerun', runId: m[1], ...(m[2] ? { causeKey: m[2] } : {}) };
};

/** Parses the paste box; pure. Unknown lines come back in `invalid` (as typed, for the error message). */
export const parseTargetSelectors = (text: string): ParsedSelectors => {
  const selectors: TargetSelector[] = [];
  const invalid: string[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  const lines = text
    .split(/\r?\n/u)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length > MAX_SELECTOR_LINES) invalid.push(`${lines.length} lines (at most ${MAX_SELECTOR_LINES})`);
  for (const line of lines.slice(0, MAX_SELECTOR_LINES)) {
    const lower = line.toLowerCase();
    const prefixed = lower.startsWith('tag:')
      ? tagLine(line.slice(4))
      : lower.startsWith('tag-key:')
        ? tagKeyLine(line.slice(8))
        : lower.startsWith('step:')
          ? stepLine(line.slice(5))
          : lower.startsWith('rerun:')
            ? rerunLine(line.slice(6))
            : null;
    if (prefixed !== null) {
      if (prefixed) selectors.push(prefixed);
      else invalid.push(line);
      continue;
    }
    for (const token of line.split(/[\s,;]+/u).filter(Boolean)) {
      const parsed = parseInstanceIds(token);
      if (parsed.ids[0]) ids.push(parsed.ids[0]);
      // A malformed id (`i-xyz`) is a typo, not a host name.
      else if (HOST_NAME.test(token) && !/^m?i-/iu.test(token)) names.push(token.toLowerCase());
      else invalid.push(token);
    }
  }
  const uniqueIds = [...new Set(ids)];
  const uniqueNames = [...new Set(names)];
  return {
    selectors: [
      ...(uniqueIds.length > 0 ? [{ kind: 'ids', ids: uniqueIds } as const] : []),
      ...(uniqueNames.length > 0 ? [{ kind: 'names', names: uniqueNames } as const] : []),
      ...selectors,
    ],
    invalid,
  };
};

/** One selector as a person would type it (for the record, the approval message and errors). */
export const describeSelector = (s: TargetSelector): string => {
  switch (s.kind) {
    case 'ids':
      return `${s.ids.length} instance id(s)`;
    case 'names':
      return `${s.names.length} computer name(s)`;
    case 'tag':
      return `tag:${s.key}=${s.values.join(',')}`;
    case 'tag-key':
      return `tag-key:${s.keys.join(',')}`;
    case 'step':
      return `step:${s.tool}/${s.action}=${s.outcome}`;
    case 'rerun':
      return `rerun:${s.runId}${s.causeKey ? `/${s.causeKey}` : ''}`;
  }
};

/** Optional narrowing from the modal's selects; an empty list means "all configured". */
export type TargetScope = {
  readonly accountIds: readonly string[];
  readonly regions: readonly string[];
  readonly partitions: readonly string[];
};

export const inScope = (
  scope: TargetScope,
  t: { readonly accountId: string; readonly region: string; readonly partition: string },
): boolean =>
  (scope.accountIds.length === 0 || scope.accountIds.includes(t.accountId)) &&
  (scope.regions.length === 0 || scope.regions.includes(t.region)) &&
  (scope.partitions.length === 0 || scope.partitions.includes(t.partition));
