import { describe, expect, it } from 'vitest';
import { approverSourcesFor, requiredApprovals, type SecondApprovalPolicy } from '../../src/domain/approvalPolicy.ts';
import { decideCancel, type CancelContext } from '../../src/domain/cancelPolicy.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import type { RunStatus } from '../../src/domain/runStatus.ts';

describe('requiredApprovals (SECOND_APPROVAL)', () => {
  it.each<[string, SecondApprovalPolicy, boolean, string[], number, 1 | 2]>([
    ['off, read-only', 'off', false, ['aws'], 1, 1],
    ['off, mutating', 'off', true, ['aws', 'aws-us-gov'], 1, 1],
    ['off keeps the action asking for two', 'off', false, ['aws'], 2, 2],
    ['mutating, read-only action', 'mutating', false, ['aws'], 1, 1],
    ['mutating, mutating action', 'mutating', true, ['aws'], 1, 2],
    ['govcloud-mutating, mutating on commercial only', 'govcloud-mutating', true, ['aws'], 1, 1],
    ['govcloud-mutating, mutating touching GovCloud', 'govcloud-mutating', true, ['aws', 'aws-us-gov'], 1, 2],
    ['govcloud-mutating, read-only on GovCloud', 'govcloud-mutating', false, ['aws-us-gov'], 1, 1],
    ['never lowered below the action', 'govcloud-mutating', false, ['aws'], 2, 2],
  ])('%s', (_name, policy, mutates, partitions, actionApprovals, expected) => {
    expect(requiredApprovals({ policy, mutates, partitions, actionApprovals })).toBe(expected);
  });
});

describe('approverSourcesFor (TOOL_APPROVER_GROUPS)', () => {
  const global = { userIds: ['U0GLOBAL'], groupIds: ['S0GLOBAL'] };
  it('uses the global approvers for a tool without its own', () => {
    expect(approverSourcesFor('qc-prep', global, { 'sft-fix': ['S0SFT'] })).toEqual(global);
  });
  it("replaces them with the tool's own groups and users", () => {
    expect(approverSourcesFor('sft-fix', global, { 'sft-fix': ['S0SFT', 'U0ALICE', 'W0BOB'] })).toEqual({
      userIds: ['U0ALICE', 'W0BOB'],
      groupIds: ['S0SFT'],
    });
  });
  it('ignores an empty list', () => {
    expect(approverSourcesFor('sft-fix', global, { 'sft-fix': [] })).toEqual(global);
  });
});

describe('decideCancel', () => {
  const base = (status: RunStatus, over: Partial<CancelContext> = {}): CancelContext => ({
    userId: 'U0REQ',
    run: { status, requesterId: 'U0REQ', cancelRequestedBy: null },
    approvers: rosterOf(['U0APP']),
    ...over,
  });
  it.each<[string, CancelContext, string]>([
    ['the requester cancels a pending request at once', base('pending_approval'), 'cancel_now'],
    ['an approver cancels a pending request at once', base('pending_approval', { userId: 'U0APP' }), 'cancel_now'],
    ['an approved run is asked to stop', base('approved'), 'request'],
    ['a running run is asked to stop', base('running', { userId: 'U0APP' }), 'request'],
  ])('%s', (_name, context, mode) => {
    expect(decideCancel(context)).toEqual({ ok: true, mode });
  });
  it.each<[string, CancelContext, string]>([
    ['someone else', base('running', { userId: 'U0OTHER' }), 'not_allowed'],
    [
      'someone else while the approvers cannot be verified',
      base('running', { userId: 'U0OTHER', approvers: rosterOf([], false) }),
      'approvers_unverified',
    ],
    [
      'twice',
      base('running', { run: { status: 'running', requesterId: 'U0REQ', cancelRequestedBy: 'U0APP' } }),
      'cancel_already_requested',
    ],
    ...(['succeeded', 'failed', 'partially_failed', 'cancelled', 'rejected', 'expired'] as const).map(
      (s): [string, CancelContext, string] => [`a ${s} run`, base(s), 'already_ended'],
    ),
  ])('refuses %s', (_name, context, code) => {
    const verdict = decideCancel(context);
    expect(verdict).toMatchObject({ ok: false, code });
    if (!verdict.ok) expect(verdict.message).toMatch(/\.$/u);
  });
});
