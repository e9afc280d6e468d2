import { describe, expect, it } from 'vitest';
import { decideApproval, decideRejection, type ApprovalContext } from '../../src/domain/approvalPolicy.ts';
import { rosterOf } from '../../src/domain/roster.ts';

const now = new Date('2026-11-26T12:00:00Z');
const base: ApprovalContext = {
  approverId: 'U0APPROVER',
  run: {
    status: 'pending_approval',
    requesterId: 'U0REQUESTER',
    planDigest: 'a'.repeat(64),
    approvalsRequired: 1,
    approvalExpiresAt: new Date(now.getTime() + 60_000),
  },
  clickedDigest: 'a'.repeat(64),
  allowedApprovers: rosterOf(['U0APPROVER', 'U0SECOND', 'U0REQUESTER']),
  priorApprovers: [],
  frozen: { on: false },
  now,
};

describe('decideApproval', () => {
  it('lets an allowed approver who is not the requester approve', () => {
    expect(decideApproval(base)).toEqual({ ok: true, final: true });
  });
  it.each([
    ['self approval, even when the requester is an approver', { approverId: 'U0REQUESTER' }, 'self_approval'],
    ['non-approver', { approverId: 'U0SOMEONE' }, 'not_approver'],
    [
      'approvers group not verifiable with Slack (fail closed)',
      { approverId: 'U0SOMEONE', allowedApprovers: rosterOf(['U0APPROVER'], false) },
      'approvers_unverified',
    ],
    ['digest mismatch', { clickedDigest: 'b'.repeat(64) }, 'digest_mismatch'],
    ['expired', { now: new Date(now.getTime() + 120_000) }, 'expired'],
    ['already decided', { run: { ...base.run, status: 'approved' as const } }, 'not_pending'],
    ['rejected', { run: { ...base.run, status: 'rejected' as const } }, 'not_pending'],
    ['freeze', { frozen: { on: true, reason: 'holiday' } }, 'frozen'],
    ['same person twice', { priorApprovers: ['U0APPROVER'], run: { ...base.run, approvalsRequired: 2 } }, 'already_approved'],
  ])('refuses: %s', (_name, over, code) => {
    const verdict = decideApproval({ ...base, ...over } as ApprovalContext);
    expect(verdict).toMatchObject({ ok: false, code });
    if (!verdict.ok) expect(verdict.message).toMatch(/\./u);
  });
  it('an approver listed by id still approves while a group cannot be verified', () => {
    expect(decideApproval({ ...base, allowedApprovers: rosterOf(['U0APPROVER'], false) })).toEqual({ ok: true, final: true });
    const refused = decideApproval({ ...base, allowedApprovers: rosterOf([], false) });
    expect(refused).toMatchObject({ ok: false, code: 'approvers_unverified' });
    if (!refused.ok) expect(refused.message).toMatch(/could not be verified with Slack/u);
  });
  it('needs a second, different approver when two approvals are required', () => {
    const two = { ...base, run: { ...base.run, approvalsRequired: 2 } };
    expect(decideApproval(two)).toEqual({ ok: true, final: false });
    expect(decideApproval({ ...two, approverId: 'U0SECOND', priorApprovers: ['U0APPROVER'] })).toEqual({ ok: true, final: true });
  });
});

describe('decideRejection', () => {
  const run = { status: 'pending_approval' as const, requesterId: 'U0REQUESTER' };
  const allowedApprovers = rosterOf(['U0APPROVER']);
  it.each([
    ['an approver', { rejecterId: 'U0APPROVER', run, allowedApprovers }],
    [
      'the requester withdrawing, even when Slack cannot confirm the roster',
      { rejecterId: 'U0REQUESTER', run, allowedApprovers: rosterOf([], false) },
    ],
  ])('lets %s reject', (_name, c) => {
    expect(decideRejection(c)).toEqual({ ok: true });
  });
  it.each([
    ['non-approver', { rejecterId: 'U0SOMEONE', run, allowedApprovers }, 'not_approver'],
    [
      'roster not verifiable with Slack (fail closed)',
      { rejecterId: 'U0SOMEONE', run, allowedApprovers: rosterOf(['U0APPROVER'], false) },
      'approvers_unverified',
    ],
    ['already decided', { rejecterId: 'U0APPROVER', run: { ...run, status: 'approved' as const }, allowedApprovers }, 'not_pending'],
  ])('refuses: %s', (_name, c, code) => {
    expect(decideRejection(c)).toMatchObject({ ok: false, code });
  });
});
