import { listSome } from '../domain/listSome.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import {
  exclusionLabels,
  type ActiveLock,
  type Exclusion,
  type ExclusionReason,
  type Preflight,
  type StoredExclusion,
} from '../domain/preflight.ts';

/** How many exclusions a run keeps for the record (the counts are always complete). */
export const MAX_STORED_EXCLUSIONS = 5_000;

export const storedExclusion = (e: Exclusion): StoredExclusion => ({
  ref: e.ref,
  reason: e.reason,
  detail: e.detail,
  ...(e.target
    ? {
        instanceId: e.target.instanceId,
        accountId: e.target.accountId,
        region: e.target.region,
        partition: e.target.partition,
        name: e.target.computerName,
        platform: e.target.platformName ?? e.target.platformType,
        pingStatus: e.target.pingStatus ?? null,
      }
    : {}),
});

/** "3 SSM agent ConnectionLost, 2 wrong platform…" */
export const reasonCounts = (byReason: Readonly<Partial<Record<ExclusionReason, number>>>): string =>
  Object.entries(byReason)
    .map(([r, n]) => `${n} ${exclusionLabels[r as ExclusionReason]}`)
    .join('; ');

/** Instances another active mutating run targets (checked again under the submission lock). */
export const lockRefusal = (locks: readonly ActiveLock[]): Refusal => {
  const byRun = new Map<string, { lock: ActiveLock; ids: string[] }>();
  for (const l of locks) {
    const entry = byRun.get(l.runId) ?? { lock: l, ids: [] };
    entry.ids.push(l.instanceId);
    byRun.set(l.runId, entry);
  }
  const runs = [...byRun.values()]
    .slice(0, 5)
    .map(
      ({ lock, ids }) =>
        `run ${lock.runId.slice(0, 8)} (${lock.tool} ${lock.action}, requested by ${lock.requesterId}) on ${listSome(ids, 5)}`,
    );
  const text = `${locks.length} instance(s) are already targeted by another active mutating run: ${runs.join('; ')}${byRun.size > 5 ? ` and ${byRun.size - 5} more runs` : ''}. Wait for it to finish, or leave them out.`;
  return refuse('locked', text, 'instances');
};

/**
 * Why the request cannot go to approval (null when it can): nothing eligible, or more than the action
 * takes (with the count and how to narrow it), or fewer than it needs.
 */
export const targetRefusal = (
  checked: Preflight,
  warnings: readonly string[],
  limits: { readonly min: number; readonly max: number },
): Refusal | null => {
  const n = checked.eligible.length;
  const unreachable = warnings.length > 0 ? ` (${listSome(warnings, 3)})` : '';
  // Ids and names typed by hand that exist nowhere are typos to fix, not hosts to drop silently.
  const notFound = checked.excluded.filter((e) => e.reason === 'not_found').map((e) => e.ref);
  if (notFound.length > 0) {
    const text = `Not found in any configured account/region: ${listSome(notFound, 10)}${unreachable}. Fix or remove them.`;
    return refuse('instances_not_found', text, 'instances');
  }
  if (n === 0) {
    if (checked.excluded.length === 0) return refuse('no_match', `The selectors matched no instance${unreachable}.`, 'instances');
    const locked = checked.excluded.filter((e) => e.reason === 'locked');
    const lockText =
      locked.length > 0
        ? ` Locked: ${listSome(
            locked.map((e) => `${e.ref} by ${e.detail}`),
            3,
          )}.`
        : '';
    const text = `Nothing eligible among ${checked.excluded.length} instance(s): ${reasonCounts(checked.summary.byReason)}.${lockText} For example: ${listSome(
      checked.excluded.map((e) => `${e.ref} (${e.detail})`),
      5,
    )}${unreachable}.`;
    return refuse('nothing_eligible', text, 'instances');
  }
  if (n > limits.max) {
    const text = `The selectors match ${n} eligible instance(s); this action takes at most ${limits.max}. Narrow it: a more specific tag value (tag:Key=Value), fewer lines, or choose an account, region or partition below.`;
    return refuse('too_many', text, 'instances');
  }
  if (n < limits.min) return refuse('too_few', `This action needs at least ${limits.min} instance(s); ${n} eligible.`, 'instances');
  return null;
};
