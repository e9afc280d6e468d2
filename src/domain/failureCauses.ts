import { createHash } from 'node:crypto';

/** Failed executions of one run with the same status and raw cause text (as the database groups them). */
export type RawCause = { readonly status: string; readonly cause: string | null; readonly count: number };

/** One cause: the status and the normalised text, how many instances, and a short stable key (`rerun:<run>/<key>`). */
/** Cause groups kept with a run's summary (a message shows fewer; the rest are counted in "…and N more causes"). */
export const MAX_STORED_CAUSES = 100;

export type CauseGroup = { readonly key: string; readonly status: string; readonly cause: string; readonly count: number };

const MAX_CAUSE = 160;

/**
 * The cause as it groups: numbers (with decimals, separators and units glued to them) and long hex or id
 * tokens collapse to "N", whitespace to one space, so "/boot has 80 MB free" and "/boot has 12 MB free"
 * are one cause. Bounded; the text is still the host's (escape it where shown).
 */
export const normaliseCause = (text: string | null): string => {
  const normal = (text ?? '')
    .replace(/\b(?:m?i-)?[0-9a-f]*[0-9][0-9a-f]{7,}\b/giu, 'N')
    .replace(/\d+(?:[.,:]\d+)*/gu, 'N')
    .replace(/\s+/gu, ' ')
    .trim();
  const chars = [...normal];
  return chars.length > MAX_CAUSE ? `${chars.slice(0, MAX_CAUSE - 1).join('')}…` : normal;
};

export const causeKey = (status: string, cause: string): string =>
  createHash('sha256').update(`${status}\n${cause.toLowerCase()}`).digest('hex').slice(0, 10);

/**
 * Groups failures by cause (the PCM_RESULT summary, else SSM's status details, normalised; per status,
 * case-insensitive), largest first, then by cause text (stable). Pure.
 */
export const groupFailureCauses = (rows: readonly RawCause[]): CauseGroup[] => {
  const groups = new Map<string, { key: string; status: string; cause: string; count: number }>();
  for (const r of rows) {
    const cause = normaliseCause(r.cause);
    const key = causeKey(r.status, cause);
    const g = groups.get(key) ?? { key, status: r.status, cause, count: 0 };
    g.count += r.count;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause) || a.status.localeCompare(b.status));
};
