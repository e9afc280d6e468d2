import { describe, expect, it } from 'vitest';
import { chunkTargets, type Target } from '../../src/domain/chunkTargets.ts';
import { executionStatusFromSsm } from '../../src/domain/executionStatus.ts';
import { parseInstanceIds } from '../../src/domain/instanceIds.ts';
import { planDigest, type Plan } from '../../src/domain/planDigest.ts';
import { runOutcome } from '../../src/domain/runOutcome.ts';
import { canTransition } from '../../src/domain/runStatus.ts';

describe('parseInstanceIds', () => {
  it('splits on spaces, commas and newlines, lowercases, dedupes and names invalid tokens', () => {
    expect(parseInstanceIds('i-0123456789abcdef0, I-0123456789ABCDEF0\n i-01234567 mi-0123456789abcdef0;bogus')).toEqual({
      ids: ['i-0123456789abcdef0', 'i-01234567', 'mi-0123456789abcdef0'],
      invalid: ['bogus'],
    });
  });
  it('rejects look-alikes', () => {
    expect(parseInstanceIds('i-0123456789abcdefg i-123 i-0123456789abcdef0;rm').invalid).toEqual(['i-0123456789abcdefg', 'i-123', 'rm']);
  });
});

describe('chunkTargets', () => {
  const target = (i: number, accountId: string, region: string, partition: Target['partition'] = 'aws'): Target => ({
    instanceId: `i-${i.toString(16).padStart(17, '0')}`,
    accountId,
    region,
    partition,
  });
  it('groups by partition/account/region and never puts more than 50 ids in a chunk', () => {
    const targets = [
      ...Array.from({ length: 120 }, (_, i) => target(i, '111111111111', 'us-east-1')),
      ...Array.from({ length: 3 }, (_, i) => target(1000 + i, '222222222222', 'us-gov-west-1', 'aws-us-gov')),
    ];
    const chunks = chunkTargets(targets);
    expect(chunks.map((c) => c.instanceIds.length)).toEqual([3, 50, 50, 20]);
    expect(chunks.every((c) => new Set(c.instanceIds.map((id) => targets.find((t) => t.instanceId === id)?.accountId)).size === 1)).toBe(
      true,
    );
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(chunkTargets([...targets].reverse())).toEqual(chunks);
  });
});

describe('executionStatusFromSsm', () => {
  it.each([
    ['Pending', undefined, 'sent'],
    ['Delayed', 'Delayed', 'sent'],
    ['InProgress', 'InProgress', 'in_progress'],
    ['Success', 'Success', 'success'],
    ['Failed', 'Failed', 'failed'],
    ['Cancelled', 'Cancelled', 'cancelled'],
    ['Cancelling', 'Cancelling', 'in_progress'],
    ['TimedOut', 'Execution Timed Out', 'timed_out'],
    ['TimedOut', 'Delivery Timed Out', 'undeliverable'],
    ['Failed', 'Undeliverable', 'undeliverable'],
    ['Failed', 'Terminated', 'terminated'],
    ['SomethingNew', undefined, 'in_progress'],
  ])('%s / %s → %s', (status, details, expected) => {
    expect(executionStatusFromSsm(status, details)).toBe(expected);
  });
});

describe('runOutcome', () => {
  it.each([
    [{ success: 3 }, 'succeeded'],
    [{ success: 2, failed: 1 }, 'partially_failed'],
    [{ failed: 2, timed_out: 1 }, 'failed'],
    [{}, 'failed'],
  ])('%j → %s', (counts, expected) => {
    expect(runOutcome(counts)).toBe(expected);
  });
});

describe('run state machine', () => {
  it('allows only forward transitions', () => {
    expect(canTransition('pending_approval', 'approved')).toBe(true);
    expect(canTransition('approved', 'running')).toBe(true);
    expect(canTransition('succeeded', 'running')).toBe(false);
    expect(canTransition('rejected', 'approved')).toBe(false);
  });
});

describe('planDigest', () => {
  const plan: Plan = {
    tool: 'qc-prep',
    action: 'initial-qc',
    scriptSha256: 'a'.repeat(64),
    params: { b: 1, a: 'x' },
    changeNumber: 'CHG0012345',
    targets: [
      { instanceId: 'i-1', accountId: '1', region: 'r' },
      { instanceId: 'i-2', accountId: '1', region: 'r' },
    ],
  };
  it('does not depend on target or key order', () => {
    expect(planDigest({ ...plan, params: { a: 'x', b: 1 }, targets: [...plan.targets].reverse() })).toBe(planDigest(plan));
  });
  it.each([
    ['script', { scriptSha256: 'b'.repeat(64) }],
    ['params', { params: { a: 'y', b: 1 } }],
    ['change', { changeNumber: 'CHG0012346' }],
    ['targets', { targets: plan.targets.slice(1) }],
    ['action', { action: 'final-report' }],
  ])('changes when the %s change', (_n, over) => {
    expect(planDigest({ ...plan, ...over })).not.toBe(planDigest(plan));
  });
});
