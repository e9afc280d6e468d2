// The pure rollout policy: wave assignment from the frozen plan, the next step from the chunks' states and the
// failures so far, the requester's adjustments within the definition's bounds, and who may Continue or Stop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideContinue, decideStop } from '../../src/domain/haltPolicy.ts';
import { planDigest } from '../../src/domain/planDigest.ts';
import { chooseRollout } from '../../src/domain/rolloutChoice.ts';
import {
  assignWaves,
  budgetOf,
  describeRollout,
  haltText,
  rolloutStep,
  type RolloutPolicy,
  type WaveProgress,
  type WaveTarget,
} from '../../src/domain/rolloutPolicy.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import { chunkWaves } from '../../src/domain/chunkTargets.ts';
import registry from '../../src/tools/qc-prep/definition.ts';

const DEFAULTS: RolloutPolicy = { canary: { perScope: 1 }, wave: { percent: 10 }, budget: { percent: 5 } };
const fleet = (spec: readonly [string, string, number][]): WaveTarget[] =>
  spec.flatMap(([accountId, region, n]) =>
    Array.from({ length: n }, (_, i) => ({
      instanceId: `i-${accountId.slice(0, 3)}${region.slice(-1)}${String(i).padStart(5, '0')}`,
      accountId,
      region,
      partition: region.startsWith('us-gov-') ? ('aws-us-gov' as const) : ('aws' as const),
    })),
  );
const FLEET = fleet([
  ['111111111111', 'us-east-1', 400],
  ['333333333333', 'us-east-1', 300],
  ['222222222222', 'us-gov-west-1', 300],
]);

describe('assignWaves', () => {
  it('puts one instance per account/region in the canary, then waves of 10 % spread over every scope', () => {
    const waves = assignWaves(FLEET, DEFAULTS);
    const byWave = Map.groupBy(FLEET, (t) => waves.get(t.instanceId));
    expect(byWave.get(0)).toHaveLength(3);
    expect(new Set(byWave.get(0)?.map((t) => t.region + t.accountId)).size).toBe(3);
    for (let w = 1; w <= 9; w += 1) expect(byWave.get(w)).toHaveLength(100);
    expect(byWave.get(10)).toHaveLength(97);
    expect(byWave.has(11)).toBe(false);
    // Every wave reaches every account/region, in proportion to its size (400/300/300).
    const first = byWave.get(1) ?? [];
    expect(Object.fromEntries([...Map.groupBy(first, (t) => t.accountId)].map(([k, v]) => [k, v.length]))).toEqual({
      '111111111111': 40,
      '333333333333': 30,
      '222222222222': 30,
    });
  });

  it('is deterministic whatever the order of the targets, and assigns every target once', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(FLEET, { minLength: 1 }), (subset) => {
        const a = assignWaves(subset, DEFAULTS);
        const b = assignWaves([...subset].reverse(), DEFAULTS);
        expect(a).toEqual(b);
        expect(a.size).toBe(subset.length);
      }),
      { numRuns: 25 },
    );
  });

  it('takes a canary count round-robin over the scopes; without a canary the waves start at 1', () => {
    const waves = assignWaves(FLEET, { canary: { count: 5 }, wave: { count: 250 } });
    expect([...waves.values()].filter((w) => w === 0)).toHaveLength(5);
    expect(Math.max(...waves.values())).toBe(4);
    const noCanary = assignWaves(FLEET, { budget: { count: 3 } });
    expect(new Set(noCanary.values())).toEqual(new Set([1]));
  });

  it('chunks never span two waves, and the canary is sent first', () => {
    const waves = assignWaves(FLEET, DEFAULTS);
    const chunks = chunkWaves(FLEET.map((t) => ({ ...t, wave: waves.get(t.instanceId) ?? null })));
    expect(chunks.slice(0, 3).every((c) => c.wave === 0 && c.instanceIds.length === 1)).toBe(true);
    for (const c of chunks) {
      expect(new Set(c.instanceIds.map((id) => waves.get(id)))).toEqual(new Set([c.wave]));
      expect(c.instanceIds.length).toBeLessThanOrEqual(50);
    }
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect([...chunks.map((c) => c.wave ?? -1)]).toEqual([...chunks.map((c) => c.wave ?? -1)].sort((a, b) => a - b));
  });
});

const wave = (w: number, p: Partial<WaveProgress> = {}): WaveProgress => ({ wave: w, planned: 0, open: 0, ended: 0, endedAt: null, ...p });
const tally = (failed: number, finished: number, accepted = 0, canary: { unsuccessful?: number; continued?: boolean } = {}) => ({
  targets: 1000,
  failed,
  finished,
  accepted,
  canaryTotal: 3,
  canaryUnsuccessful: canary.unsuccessful ?? 0,
  continued: canary.continued ?? false,
});

describe('rolloutStep', () => {
  it('sends the canary first, then each wave only when the one before has ended', () => {
    const fresh = [wave(0, { planned: 3 }), wave(1, { planned: 3 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, fresh, tally(0, 0), 0)).toEqual({ kind: 'dispatch', wave: 0 });
    const canaryOut = [wave(0, { open: 3 }), wave(1, { planned: 3 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, canaryOut, tally(0, 1), 0)).toEqual({ kind: 'wait' });
    const canaryDone = [wave(0, { ended: 3, endedAt: 5 }), wave(1, { planned: 3 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, canaryDone, tally(0, 3), 10)).toEqual({ kind: 'dispatch', wave: 1 });
    // The rest of a wave under way is sent, whatever else.
    const partly = [wave(0, { ended: 3 }), wave(1, { open: 2, planned: 1 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, partly, tally(0, 3), 10)).toEqual({ kind: 'dispatch', wave: 1 });
    expect(rolloutStep(DEFAULTS, [wave(0, { ended: 3 }), wave(1, { ended: 3 })], tally(0, 103), 10)).toEqual({ kind: 'done' });
  });

  it('halts after the canary when any canary host did not succeed, before wave 1', () => {
    const canaryDone = [wave(0, { ended: 3, endedAt: 5 }), wave(1, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, canaryDone, tally(1, 3, 0, { unsuccessful: 1 }), 10)).toEqual({
      kind: 'halt',
      reason: 'canary',
      afterWave: 0,
      failed: 1,
      finished: 3,
      budget: 50,
    });
    // Not reached (not_sent, cancelled) is no failure for the budget, but the canary did not fully succeed.
    expect(rolloutStep(DEFAULTS, canaryDone, tally(0, 2, 0, { unsuccessful: 1 }), 10)).toMatchObject({ kind: 'halt', reason: 'canary' });
    // Continued (the canary accepted): wave 1 goes out.
    expect(rolloutStep(DEFAULTS, canaryDone, tally(1, 3, 1, { unsuccessful: 1, continued: true }), 10)).toEqual({
      kind: 'dispatch',
      wave: 1,
    });
  });

  it('once the budget is spent sends nothing more, lets what is in flight finish, then halts', () => {
    const midWave = [wave(0, { ended: 3 }), wave(1, { open: 1, ended: 1, planned: 1 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, midWave, tally(51, 80), 10)).toEqual({ kind: 'wait' });
    const drained = [wave(0, { ended: 3 }), wave(1, { ended: 2, planned: 1 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, drained, tally(51, 80), 10)).toMatchObject({ kind: 'halt', reason: 'budget', afterWave: 1, budget: 50 });
    // Exactly the budget is still within it.
    const done1 = [wave(0, { ended: 3 }), wave(1, { ended: 3 }), wave(2, { planned: 3 })];
    expect(rolloutStep(DEFAULTS, done1, tally(50, 103), 10)).toEqual({ kind: 'dispatch', wave: 2 });
    // After a Continue the budget applies to the failures that follow.
    expect(rolloutStep(DEFAULTS, done1, tally(100, 103, 100), 10)).toEqual({ kind: 'dispatch', wave: 2 });
    expect(rolloutStep(DEFAULTS, done1, tally(151, 203, 100), 10)).toMatchObject({ kind: 'halt', reason: 'budget' });
  });

  it('never dispatches a wave while an earlier one is in flight or the budget is spent (property)', () => {
    const progress = fc.record({
      planned: fc.nat(3),
      open: fc.nat(3),
      ended: fc.nat(3),
    });
    fc.assert(
      fc.property(fc.array(progress, { minLength: 1, maxLength: 6 }), fc.nat(120), fc.nat(120), (ws, failed, accepted) => {
        const waves = ws.map((p, i) => wave(i, p));
        const step = rolloutStep(DEFAULTS, waves, tally(failed, 200, Math.min(accepted, failed)), 0);
        if (step.kind !== 'dispatch') return;
        expect(failed - Math.min(accepted, failed)).toBeLessThanOrEqual(budgetOf(DEFAULTS, 1000));
        const target = waves.find((w) => w.wave === step.wave);
        const underWay = (target?.open ?? 0) > 0 || (target?.ended ?? 0) > 0;
        if (!underWay) expect(waves.filter((w) => w.wave < step.wave).every((w) => w.open === 0 && w.planned === 0)).toBe(true);
      }),
    );
  });

  it('waits out the pause between waves', () => {
    const p: RolloutPolicy = { ...DEFAULTS, pauseSeconds: 60 };
    const waves = [wave(0, { ended: 3, endedAt: 1_000 }), wave(1, { planned: 3 })];
    expect(rolloutStep(p, waves, tally(0, 3), 30_000)).toEqual({ kind: 'wait', until: 61_000 });
    expect(rolloutStep(p, waves, tally(0, 3), 61_000)).toEqual({ kind: 'dispatch', wave: 1 });
  });

  it('says why it halted', () => {
    expect(haltText({ reason: 'budget', afterWave: 2, failed: 61, finished: 210, budget: 50 })).toBe(
      'halted after wave 2: 61 of 210 failed, budget 50',
    );
    expect(haltText({ reason: 'canary', afterWave: 0, failed: 1, finished: 3, budget: 50 })).toBe(
      'halted after the canary: 1 of 3 did not succeed; the canary must fully succeed',
    );
    expect(describeRollout(DEFAULTS, 1000)).toBe('canary 1 per account/region, waves of 10 % (100), error budget 5 % (50)');
    expect(describeRollout(null)).toBe('all at once, no error budget');
  });
});

describe('the action definitions', () => {
  const action = (id: string) => registry.actions.find((a) => a.id === id);
  it('Kernel Staging: canary 1 per account/region, waves 10 %, budget 5 %; read-only checks none', () => {
    expect(action('kernel-staging')?.rollout).toMatchObject(DEFAULTS);
    expect(action('initial-qc')?.rollout).toBeUndefined();
    expect(action('final-report')?.rollout).toBeUndefined();
  });
});

describe('chooseRollout: the requester adjusts only within the bounds', () => {
  const definition = registry.actions.find((a) => a.id === 'kernel-staging')?.rollout;
  it('keeps the defaults when nothing is typed, and takes what is within the bounds', () => {
    expect(chooseRollout(definition, {}, 1000)).toEqual({ ok: true, policy: DEFAULTS });
    expect(chooseRollout(definition, { wave: '20%', budget: '2 %', canaryPerScope: '2', pauseMinutes: '5' }, 1000)).toEqual({
      ok: true,
      policy: { canary: { perScope: 2 }, wave: { percent: 20 }, budget: { percent: 2 }, pauseSeconds: 300 },
    });
    expect(chooseRollout(definition, { wave: '50', budget: '10' }, 1000)).toMatchObject({
      ok: true,
      policy: { wave: { count: 50 }, budget: { count: 10 } },
    });
    expect(chooseRollout(undefined, { wave: '100%' }, 10)).toEqual({ ok: true, policy: null });
  });

  it('refuses what is outside them, per field', () => {
    const r = chooseRollout(definition, { wave: '100%', budget: '50%', canaryPerScope: '0', pauseMinutes: '600' }, 1000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(['rollout:budget', 'rollout:canary', 'rollout:pause', 'rollout:wave']);
    // A count is measured against the run: 300 of 1,000 is 30 %, above the 25 % bound.
    expect(chooseRollout(definition, { wave: '300' }, 1000)).toMatchObject({ ok: false });
    expect(chooseRollout(definition, { wave: '10; rm -rf /' }, 1000)).toMatchObject({ ok: false });
  });
});

describe('planDigest covers the rollout', () => {
  const base = {
    tool: 'qc-prep',
    action: 'kernel-staging',
    scriptSha256: 'a'.repeat(64),
    params: {},
    changeNumber: 'CHG0000001',
    targets: [
      { instanceId: 'i-1', accountId: '1', region: 'r', wave: 0 },
      { instanceId: 'i-2', accountId: '1', region: 'r', wave: 1 },
    ],
  };
  it('changes with the policy or any wave, and is unchanged for a plan without a rollout', () => {
    const d = planDigest({ ...base, rollout: DEFAULTS });
    expect(planDigest({ ...base, rollout: { ...DEFAULTS, budget: { percent: 6 } } })).not.toBe(d);
    expect(
      planDigest({
        ...base,
        rollout: DEFAULTS,
        targets: [
          { instanceId: 'i-1', accountId: '1', region: 'r', wave: 1 },
          { instanceId: 'i-2', accountId: '1', region: 'r', wave: 0 },
        ],
      }),
    ).not.toBe(d);
    const plain = { ...base, targets: base.targets.map(({ wave: _w, ...t }) => t) };
    expect(planDigest({ ...base, rollout: null })).toBe(planDigest(plain));
  });
});

describe('who may Continue or Stop a halted run', () => {
  const approvers = rosterOf(['U0APPROVER', 'U0REQUESTER']);
  const run = { status: 'halted' as const, requesterId: 'U0REQUESTER' };
  it('Continue: an approver who is not the requester, only while halted', () => {
    expect(decideContinue({ userId: 'U0APPROVER', approvers, run })).toEqual({ ok: true });
    expect(decideContinue({ userId: 'U0REQUESTER', approvers, run })).toMatchObject({ code: 'requester_cannot_continue' });
    expect(decideContinue({ userId: 'U0OTHER', approvers, run })).toMatchObject({ code: 'not_allowed' });
    expect(decideContinue({ userId: 'U0OTHER', approvers: rosterOf(['U0APPROVER'], false), run })).toMatchObject({
      code: 'approvers_unverified',
    });
    expect(decideContinue({ userId: 'U0APPROVER', approvers, run: { ...run, status: 'running' } })).toMatchObject({ code: 'not_halted' });
  });
  it('Stop: the requester or an approver, only while halted', () => {
    expect(decideStop({ userId: 'U0REQUESTER', approvers: rosterOf([]), run })).toEqual({ ok: true });
    expect(decideStop({ userId: 'U0APPROVER', approvers, run })).toEqual({ ok: true });
    expect(decideStop({ userId: 'U0OTHER', approvers, run })).toMatchObject({ code: 'not_allowed' });
    expect(decideStop({ userId: 'U0APPROVER', approvers, run: { ...run, status: 'stopped' } })).toMatchObject({ code: 'not_halted' });
  });
});
