import type { Partition } from './partition.ts';

export type PreflightTarget = {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: Partition;
  readonly computerName: string | null;
  readonly platformType: string | null;
  readonly platformName: string | null;
  /** The SSM agent's ping status when pre-flight looked (the target list shows it). */
  readonly pingStatus?: string | null;
};

/** One instance a selector named, with what the inventory knows of it (absent when nothing does). */
export type Candidate = {
  /** What was asked for: the id or computer name as typed, or the instance id a tag/step selector found. */
  readonly ref: string;
  readonly instance?: PreflightTarget & {
    readonly pingStatus: string | null;
    /** Known before but absent from its account/region's latest successful sync: SSM no longer manages it. */
    readonly gone: boolean;
  };
};

/** An instance an active mutating run targets (issue 9, item 5). */
export type ActiveLock = {
  readonly instanceId: string;
  readonly runId: string;
  readonly tool: string;
  readonly action: string;
  readonly requesterId: string;
};

export type ExclusionReason = 'not_found' | 'not_managed' | 'connection_lost' | 'inactive' | 'wrong_platform' | 'locked';

export const exclusionLabels: Readonly<Record<ExclusionReason, string>> = {
  not_found: 'not found in any configured account/region',
  not_managed: 'no longer managed by SSM',
  connection_lost: 'SSM agent ConnectionLost',
  inactive: 'SSM agent Inactive',
  wrong_platform: 'wrong platform for this action',
  locked: 'targeted by another active mutating run',
};

export type Exclusion = {
  readonly ref: string;
  readonly reason: ExclusionReason;
  readonly detail: string;
  readonly target?: PreflightTarget;
};

/** An exclusion as a run keeps it for the record (`runs.preflight.excluded`): what the target list file shows. */
export type StoredExclusion = {
  ref: string;
  reason: ExclusionReason;
  detail: string;
  instanceId?: string;
  accountId?: string;
  region?: string;
  partition?: string;
  /** What the inventory knew of it (the approval thread's target list shows it). */
  name?: string | null;
  platform?: string | null;
  pingStatus?: string | null;
};

export type ScopeCount = {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly eligible: number;
  readonly excluded: number;
};

export type PreflightSummary = {
  readonly eligible: number;
  readonly excluded: number;
  readonly byScope: readonly ScopeCount[];
  /** Eligible instances per platform name (e.g. "Amazon Linux 2023"), most first. */
  readonly byPlatform: readonly { readonly platform: string; readonly count: number }[];
  readonly byReason: Readonly<Partial<Record<ExclusionReason, number>>>;
};

export type Preflight = {
  readonly eligible: readonly PreflightTarget[];
  readonly excluded: readonly Exclusion[];
  readonly summary: PreflightSummary;
};

const targetOf = (i: NonNullable<Candidate['instance']>): PreflightTarget => ({
  instanceId: i.instanceId,
  accountId: i.accountId,
  region: i.region,
  partition: i.partition,
  computerName: i.computerName,
  platformType: i.platformType,
  platformName: i.platformName,
  pingStatus: i.pingStatus,
});

/**
 * Splits the union of what the selectors named into eligible targets and exclusions with reasons. Pure;
 * duplicates (an instance named by an id and a tag) count once. Locks only bind mutating actions: two
 * mutating runs never race on one host, read-only actions are never blocked.
 */
export const preflight = (p: {
  readonly candidates: readonly Candidate[];
  readonly platform: string;
  readonly mutates: boolean;
  readonly locks: readonly ActiveLock[];
}): Preflight => {
  const locks = new Map(p.locks.map((l) => [l.instanceId, l]));
  const eligible: PreflightTarget[] = [];
  const excluded: Exclusion[] = [];
  const seen = new Set<string>();
  for (const c of p.candidates) {
    const key = c.instance?.instanceId ?? `?${c.ref.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const i = c.instance;
    if (!i) {
      excluded.push({ ref: c.ref, reason: 'not_found', detail: exclusionLabels.not_found });
      continue;
    }
    const target = targetOf(i);
    const lock = locks.get(i.instanceId);
    const exclusion: Omit<Exclusion, 'ref' | 'target'> | undefined = i.gone
      ? { reason: 'not_managed', detail: exclusionLabels.not_managed }
      : i.pingStatus === 'ConnectionLost'
        ? { reason: 'connection_lost', detail: exclusionLabels.connection_lost }
        : i.pingStatus === 'Inactive'
          ? { reason: 'inactive', detail: exclusionLabels.inactive }
          : i.platformType && i.platformType !== p.platform
            ? { reason: 'wrong_platform', detail: `${i.platformType}, the action runs on ${p.platform}` }
            : p.mutates && lock
              ? {
                  reason: 'locked',
                  detail: `run ${lock.runId.slice(0, 8)} (${lock.tool} ${lock.action}, requested by ${lock.requesterId})`,
                }
              : undefined;
    if (exclusion) excluded.push({ ref: c.ref, target, ...exclusion });
    else eligible.push(target);
  }
  return { eligible, excluded, summary: summarize(eligible, excluded) };
};

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const summarize = (eligible: readonly PreflightTarget[], excluded: readonly Exclusion[]): PreflightSummary => {
  const scopes = new Map<string, { partition: string; accountId: string; region: string; eligible: number; excluded: number }>();
  const scopeOf = (t: PreflightTarget) => {
    const key = `${t.partition}|${t.accountId}|${t.region}`;
    let s = scopes.get(key);
    if (!s) scopes.set(key, (s = { partition: t.partition, accountId: t.accountId, region: t.region, eligible: 0, excluded: 0 }));
    return s;
  };
  const platforms = new Map<string, number>();
  for (const t of eligible) {
    scopeOf(t).eligible += 1;
    const platform = t.platformName ?? t.platformType ?? 'unknown';
    platforms.set(platform, (platforms.get(platform) ?? 0) + 1);
  }
  const byReason: Partial<Record<ExclusionReason, number>> = {};
  for (const e of excluded) {
    if (e.target) scopeOf(e.target).excluded += 1;
    byReason[e.reason] = (byReason[e.reason] ?? 0) + 1;
  }
  return {
    eligible: eligible.length,
    excluded: excluded.length,
    // Commercial first, then GovCloud; plain code-unit order (no locale).
    byScope: [...scopes.values()].sort(
      (a, b) =>
        (a.partition === b.partition ? 0 : a.partition === 'aws' ? -1 : 1) || cmp(a.accountId, b.accountId) || cmp(a.region, b.region),
    ),
    byPlatform: [...platforms]
      .map(([platform, count]) => ({ platform, count }))
      .sort((a, b) => b.count - a.count || a.platform.localeCompare(b.platform)),
    byReason,
  };
};
