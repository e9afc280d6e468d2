import type { Partition } from './partition.ts';

/** A size as a number of instances or a percentage of the run's targets. */
export type Amount = { readonly count: number } | { readonly percent: number };

/**
 * How a run of a mutating action goes out (issue 10): a canary first (one instance per account/region,
 * or a count), then waves of a fixed size with an optional pause between them, under an error budget
 * counted over the whole run (every account, region and partition). Frozen on the run at submission and
 * covered by the plan digest: what was approved is what runs.
 */
export type RolloutPolicy = {
  readonly canary?: { readonly perScope: number } | { readonly count: number };
  readonly wave?: Amount;
  readonly pauseSeconds?: number;
  readonly budget?: Amount;
};

/** How far the requester may move the policy in the request modal (absent: the defaults are fixed). */
export type RolloutBounds = {
  readonly canaryPerScope: { readonly min: number; readonly max: number };
  readonly wavePercent: { readonly min: number; readonly max: number };
  readonly budgetPercent: { readonly min: number; readonly max: number };
  readonly maxPauseSeconds: number;
};

/** What a tool definition declares: the default policy and the bounds of what the requester may choose. */
export type RolloutDefinition = RolloutPolicy & { readonly bounds?: RolloutBounds };

export type WaveTarget = {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: Partition;
};

/** The canary is wave 0; the waves after it are numbered from 1. */
export const CANARY_WAVE = 0;

/** Whether the policy does anything at all (no canary, no waves, no budget: everything at once, as before). */
export const hasRollout = (p: RolloutPolicy | null | undefined): p is RolloutPolicy =>
  p !== null && p !== undefined && (p.canary !== undefined || p.wave !== undefined || p.budget !== undefined);

/** A wave's size in instances: at least one. */
export const waveSizeOf = (wave: Amount, total: number): number =>
  Math.max(1, 'count' in wave ? wave.count : Math.ceil((total * wave.percent) / 100));

/** How many failures the run may have before it halts (failures beyond this number halt it); unbounded without a budget. */
export const budgetOf = (p: RolloutPolicy, total: number): number =>
  p.budget === undefined ? Number.POSITIVE_INFINITY : 'count' in p.budget ? p.budget.count : Math.floor((total * p.budget.percent) / 100);

const scopeOf = (t: WaveTarget): string => `${t.partition}|${t.accountId}|${t.region}`;

/**
 * The wave of every target, deterministic for a given plan (so the digest can cover it). The canary takes
 * the first instance(s) of each account/region (or a count, round-robin over them); the rest are spread
 * over the waves in proportion to each account/region's size, so every wave reaches every scope.
 */
export const assignWaves = (targets: readonly WaveTarget[], p: RolloutPolicy): ReadonlyMap<string, number> => {
  const groups = Map.groupBy(targets, scopeOf);
  const scopes = [...groups.keys()].sort();
  const remaining = new Map(scopes.map((k) => [k, (groups.get(k) ?? []).map((t) => t.instanceId).sort()]));
  const waves = new Map<string, number>();
  if (p.canary) {
    if ('perScope' in p.canary) {
      for (const k of scopes) for (const id of (remaining.get(k) ?? []).splice(0, p.canary.perScope)) waves.set(id, CANARY_WAVE);
    } else {
      let left = Math.min(p.canary.count, targets.length);
      while (left > 0) {
        for (const k of scopes) {
          const id = left > 0 ? remaining.get(k)?.shift() : undefined;
          if (id === undefined) continue;
          waves.set(id, CANARY_WAVE);
          left -= 1;
        }
      }
    }
  }
  const rest = scopes
    .flatMap((k) => {
      const ids = remaining.get(k) ?? [];
      return ids.map((id, i) => ({ id, k, rank: (i + 0.5) / ids.length }));
    })
    .sort((a, b) => a.rank - b.rank || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const size = p.wave ? waveSizeOf(p.wave, targets.length) : Math.max(1, rest.length);
  rest.forEach((r, i) => waves.set(r.id, 1 + Math.floor(i / size)));
  return waves;
};

/** One wave's chunks as the database has them. */
export type WaveProgress = {
  readonly wave: number;
  /** Chunks not sent yet. */
  readonly planned: number;
  /** Chunks being sent or sent and not finished (instances in flight). */
  readonly open: number;
  /** Chunks finished (complete or rejected). */
  readonly ended: number;
  /** When its last chunk ended (epoch ms), null while none has. */
  readonly endedAt: number | null;
};

export type RolloutTally = {
  readonly targets: number;
  /** Executions that ended (any terminal status but not_sent). */
  readonly finished: number;
  /** Executions that failed: SSM Failed/TimedOut/Undeliverable (or terminated) or a PCM_RESULT status of `fail`. */
  readonly failed: number;
  /** Failures a Continue accepted: the budget applies to what fails after it. */
  readonly accepted: number;
  /** Canary executions that ended without succeeding (any status but success, or a PCM_RESULT of `fail`). */
  readonly canaryUnsuccessful: number;
  /** Canary executions. */
  readonly canaryTotal: number;
  /** The run was halted before and continued: its canary (whatever it did) was accepted then. */
  readonly continued: boolean;
};

export type Halt = {
  readonly reason: 'canary' | 'budget';
  /** The last wave that was sent (0: the canary). */
  readonly afterWave: number;
  /** Failures over the run (budget), or canary hosts that did not succeed (canary). */
  readonly failed: number;
  /** Executions that ended over the run (budget), or the canary's size (canary). */
  readonly finished: number;
  readonly budget: number;
};

export type RolloutStep =
  | { readonly kind: 'dispatch'; readonly wave: number }
  | { readonly kind: 'wait'; readonly until?: number }
  | ({ readonly kind: 'halt' } & Halt)
  | { readonly kind: 'done' };

/**
 * What the executor may do next under the policy, from the chunks' states and the failures so far:
 * send the next wave's chunks, wait (a wave in flight, a pause), halt (nothing in flight and the budget
 * spent, or the canary failed), or nothing left to send. A wave starts only when every earlier wave has
 * ended; once the budget is spent no chunk is sent, not even the rest of the current wave.
 */
export const rolloutStep = (p: RolloutPolicy, waves: readonly WaveProgress[], tally: RolloutTally, now: number): RolloutStep => {
  const sorted = [...waves].sort((a, b) => a.wave - b.wave);
  const next = sorted.find((w) => w.planned > 0);
  if (!next) return { kind: 'done' };
  const inFlight = sorted.some((w) => w.open > 0);
  const budget = budgetOf(p, tally.targets);
  const fresh = tally.failed - tally.accepted;
  const sentWaves = sorted.filter((w) => w.open > 0 || w.ended > 0);
  const afterWave = sentWaves.at(-1)?.wave ?? CANARY_WAVE;
  const halt = (reason: Halt['reason'], counted = { failed: tally.failed, finished: tally.finished }): RolloutStep => ({
    kind: 'halt',
    reason,
    afterWave,
    ...counted,
    budget: Number.isFinite(budget) ? budget : -1,
  });
  if (fresh > budget) return inFlight ? { kind: 'wait' } : halt('budget');
  // The rest of a wave already under way (e.g. a throttled chunk, or a Continue after a halt mid-wave).
  if (next.open > 0 || next.ended > 0) return { kind: 'dispatch', wave: next.wave };
  const earlier = sorted.filter((w) => w.wave < next.wave);
  if (earlier.some((w) => w.open > 0 || w.planned > 0)) return { kind: 'wait' };
  // The canary must fully succeed: a canary host that failed, was never reached or was cancelled halts the run.
  const canaryOnly = earlier.length > 0 && earlier.every((w) => w.wave === CANARY_WAVE);
  if (p.canary && canaryOnly && !tally.continued && tally.canaryUnsuccessful > 0) {
    return halt('canary', { failed: tally.canaryUnsuccessful, finished: tally.canaryTotal });
  }
  if (p.pauseSeconds && earlier.length > 0) {
    const endedAt = Math.max(...earlier.map((w) => w.endedAt ?? 0));
    const until = endedAt + p.pauseSeconds * 1000;
    if (now < until) return { kind: 'wait', until };
  }
  return { kind: 'dispatch', wave: next.wave };
};

const amountText = (a: Amount): string => ('count' in a ? `${a.count}` : `${a.percent} %`);

/** The policy in one line, for the modal, the approval message and /ops show. */
export const describeRollout = (p: RolloutPolicy | null | undefined, total?: number): string => {
  if (!hasRollout(p)) return 'all at once, no error budget';
  const parts: string[] = [];
  if (p.canary) parts.push('perScope' in p.canary ? `canary ${p.canary.perScope} per account/region` : `canary ${p.canary.count}`);
  if (p.wave)
    parts.push(`waves of ${amountText(p.wave)}${total !== undefined && 'percent' in p.wave ? ` (${waveSizeOf(p.wave, total)})` : ''}`);
  if (p.pauseSeconds) parts.push(`${Math.round(p.pauseSeconds / 60)} min between waves`);
  if (p.budget)
    parts.push(`error budget ${amountText(p.budget)}${total !== undefined && 'percent' in p.budget ? ` (${budgetOf(p, total)})` : ''}`);
  return parts.join(', ');
};

/** Why a run halted, as its thread says it ("halted after wave 2: 61 of 210 failed, budget 50"). */
export const haltText = (h: Halt): string =>
  h.reason === 'canary'
    ? `halted after the canary: ${h.failed} of ${h.finished} did not succeed; the canary must fully succeed`
    : `halted after ${h.afterWave === CANARY_WAVE ? 'the canary' : `wave ${h.afterWave}`}: ${h.failed} of ${h.finished} failed, budget ${h.budget}`;
