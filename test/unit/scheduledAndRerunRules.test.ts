// The pure rules behind scheduled start and re-run failed (issue 10, items 3 and 5).
import { describe, expect, it } from 'vitest';
import { decideCancel } from '../../src/domain/cancelPolicy.ts';
import { checkChange, type ChangeRuleOptions } from '../../src/domain/changeRules.ts';
import { isRerunnable, rerunnableRunStatuses } from '../../src/domain/rerunPolicy.ts';
import { canTransition } from '../../src/domain/runStatus.ts';
import { scheduledStart } from '../../src/domain/scheduledStart.ts';
import { describeSelector, parseTargetSelectors } from '../../src/domain/targetSelectors.ts';

const RUN = '0ec662cd-4812-4e12-9926-e5bcb4916aaf';
const now = new Date('2026-12-05T12:00:00Z');
const change = (startInMin: number, endInMin: number) => ({
  number: 'CHG0012345',
  state: '-1',
  plannedStart: new Date(now.getTime() + startInMin * 60_000),
  plannedEnd: new Date(now.getTime() + endInMin * 60_000),
});

describe('scheduled: the state machine', () => {
  it('a pending request may be scheduled; a scheduled run starts (approved), is cancelled, or fails; nothing else', () => {
    expect(canTransition('pending_approval', 'scheduled')).toBe(true);
    expect(['approved', 'cancelled', 'failed'].every((to) => canTransition('scheduled', to as never))).toBe(true);
    expect(canTransition('scheduled', 'running')).toBe(false);
    expect(canTransition('scheduled', 'succeeded')).toBe(false);
    expect(canTransition('approved', 'scheduled')).toBe(false);
  });
});

describe('scheduled: the change rules', () => {
  it('a window that opens later is refused unless the request may wait for it', () => {
    const rules: ChangeRuleOptions = { now, allowedStates: ['implement', 'scheduled'], graceMinutes: 0 };
    expect(checkChange(change(30, 90), { ...rules })).toMatchObject({
      ok: false,
      code: 'change_not_started',
    });
    expect(checkChange(change(30, 90), { ...rules, allowNotStarted: true })).toEqual({ ok: true });
    // A closed change or an ended window is refused either way.
    expect(checkChange({ ...change(30, 90), state: '3' }, { ...rules, allowNotStarted: true })).toMatchObject({
      ok: false,
      code: 'change_wrong_state',
    });
    expect(checkChange(change(-90, -30), { ...rules, allowNotStarted: true })).toMatchObject({
      ok: false,
      code: 'change_window_over',
    });
  });

  it.each([
    [30, 0, true],
    [30, 29, true],
    [30, 30, false],
    [0, 0, false],
    [-10, 0, false],
  ])('window opening in %i min with %i min grace: waits = %s', (startIn, grace, waits) => {
    const c = change(startIn, startIn + 60);
    expect(scheduledStart(c, { now, graceMinutes: grace })).toEqual(waits ? c.plannedStart : null);
  });
});

describe('scheduled: cancel', () => {
  it('the requester or an approver cancels a scheduled run at once (it never started)', () => {
    const run = { status: 'scheduled' as const, requesterId: 'U0REQ', cancelRequestedBy: null };
    const approvers = { members: new Set(['U0APP']), verified: true };
    expect(decideCancel({ userId: 'U0REQ', run, approvers })).toEqual({ ok: true, mode: 'cancel_now' });
    expect(decideCancel({ userId: 'U0APP', run, approvers })).toEqual({ ok: true, mode: 'cancel_now' });
    expect(decideCancel({ userId: 'U0OTHER', run, approvers })).toMatchObject({ ok: false, code: 'not_allowed' });
  });
});

describe('re-run failed: the rules', () => {
  it('is offered on failed, partially failed, halted and stopped runs only (one list)', () => {
    expect([...rerunnableRunStatuses]).toEqual(['failed', 'partially_failed', 'halted', 'stopped']);
    expect(['succeeded', 'running', 'scheduled', 'cancelled'].some(isRerunnable)).toBe(false);
  });

  it('parses rerun:<run> and rerun:<run>/<cause key>; refuses malformed ones', () => {
    const parsed = parseTargetSelectors(`rerun:${RUN}\nRERUN:${RUN.toUpperCase()}/0123456789\nrerun:not-a-run\nrerun:${RUN}/xyz`);
    expect(parsed.selectors).toEqual([
      { kind: 'rerun', runId: RUN },
      { kind: 'rerun', runId: RUN, causeKey: '0123456789' },
    ]);
    expect(parsed.invalid).toEqual(['rerun:not-a-run', `rerun:${RUN}/xyz`]);
    expect(parsed.selectors.map(describeSelector)).toEqual([`rerun:${RUN}`, `rerun:${RUN}/0123456789`]);
  });
});
