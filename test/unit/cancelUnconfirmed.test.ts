// Finding 10: an instance whose cancel SSM never confirmed is its own final status, shown as such.
import { describe, expect, it } from 'vitest';
import { executionStatuses, isTerminalExecution } from '../../src/domain/executionStatus.ts';
import { runOutcome } from '../../src/domain/runOutcome.ts';
import { summaryMessage } from '../../src/slack/blocks/runMessage.ts';
import type { RunView } from '../../src/slack/blocks/runView.ts';

const run: RunView = {
  id: '00000000-0000-4000-8000-000000000001',
  tool: 'qc-prep',
  toolTitle: 'QC prep',
  action: 'initial-qc',
  actionTitle: 'Initial QC',
  params: {},
  requesterId: 'U0REQUESTER',
  changeNumber: 'CHG0012345',
  status: 'cancelled',
  scriptSha256: 'a'.repeat(64),
  planDigest: 'b'.repeat(64),
  mutates: false,
  approvalsRequired: 1,
  targetCount: 2,
  correlationId: 'c',
  cancelRequestedBy: 'U0X',
  createdAt: 0,
  approvalExpiresAt: 0,
};

describe('cancel_unconfirmed', () => {
  it('is a final execution status that is not a success', () => {
    expect(executionStatuses).toContain('cancel_unconfirmed');
    expect(isTerminalExecution('cancel_unconfirmed')).toBe(true);
    expect(runOutcome({ success: 1, cancel_unconfirmed: 1 })).toBe('partially_failed');
  });

  it('is shown in the run summary with its own label, never as cancelled', () => {
    const message = summaryMessage(run, 'cancelled', { success: 1, cancel_unconfirmed: 1 }, [
      {
        instanceId: 'i-0000000000000000a',
        accountId: '111111111111',
        region: 'us-east-1',
        status: 'cancel_unconfirmed',
        statusDetails: 'SSM never confirmed how this instance ended',
        summary: null,
      },
    ]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(':grey_question: cancel unconfirmed: *1*');
    expect(text).toContain(':grey_question: cancel unconfirmed `i-0000000000000000a`');
    expect(text).not.toContain('cancelled: *');
  });
});
