import { describe, expect, it } from 'vitest';
import { checkChange, type ChangeFacts } from '../../src/domain/changeRules.ts';

const now = new Date('2026-11-26T12:00:00Z');
const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);
const change = (over: Partial<ChangeFacts> = {}): ChangeFacts => ({
  number: 'CHG0012345',
  state: '-1',
  plannedStart: hours(-1),
  plannedEnd: hours(1),
  ...over,
});
const opts = { now, allowedStates: ['implement', 'scheduled'] as ('implement' | 'scheduled')[], graceMinutes: 0 };

describe('checkChange', () => {
  it.each([
    ['implement inside window', change(), true, undefined],
    ['scheduled inside window', change({ state: '-2' }), true, undefined],
    ['not found', null, false, 'change_not_found'],
    ['new', change({ state: '-5' }), false, 'change_wrong_state'],
    ['assess', change({ state: '-4' }), false, 'change_wrong_state'],
    ['authorize', change({ state: '-3' }), false, 'change_wrong_state'],
    ['review', change({ state: '0' }), false, 'change_wrong_state'],
    ['closed', change({ state: '3' }), false, 'change_wrong_state'],
    ['canceled', change({ state: '4' }), false, 'change_wrong_state'],
    ['window not started', change({ plannedStart: hours(1), plannedEnd: hours(2) }), false, 'change_not_started'],
    ['window over', change({ plannedStart: hours(-3), plannedEnd: hours(-1) }), false, 'change_window_over'],
    ['no window', change({ plannedStart: null }), false, 'change_no_window'],
  ])('%s', (_name, facts, ok, code) => {
    const verdict = checkChange(facts, opts);
    expect(verdict.ok).toBe(ok);
    if (!verdict.ok) {
      expect(verdict.code).toBe(code);
      expect(verdict.message.length).toBeGreaterThan(20);
    }
  });

  it('refuses Scheduled when only Implement is allowed', () => {
    const verdict = checkChange(change({ state: '-2' }), { ...opts, allowedStates: ['implement'] });
    expect(verdict).toMatchObject({ ok: false, code: 'change_wrong_state' });
  });

  it('applies the grace period on both ends', () => {
    expect(checkChange(change({ plannedStart: hours(0.25), plannedEnd: hours(2) }), { ...opts, graceMinutes: 30 }).ok).toBe(true);
    expect(checkChange(change({ plannedStart: hours(-2), plannedEnd: hours(-0.25) }), { ...opts, graceMinutes: 30 }).ok).toBe(true);
    expect(checkChange(change({ plannedStart: hours(-2), plannedEnd: hours(-1) }), { ...opts, graceMinutes: 30 }).ok).toBe(false);
  });
});
