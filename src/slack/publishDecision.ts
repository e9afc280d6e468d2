import { escapeText } from '../domain/escapeText.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { oweApproval, oweRunParent, oweRunReply } from '../db/queries/outbox.ts';
import { getRun } from '../db/queries/runs.ts';
import { mention } from './blocks/mention.ts';
import type { SlackDeps } from './slackDeps.ts';

export type DecisionEvent = {
  readonly kind: 'approved' | 'approval_recorded' | 'rejected' | 'cancelled' | 'cancel_requested';
  readonly by: string;
  /** As the person typed it (plain text); escaped where it is shown. */
  readonly reason?: string;
};

const threadText = (event: DecisionEvent, approvals: number, required: number): string => {
  switch (event.kind) {
    case 'approved':
      return `:white_check_mark: Approved by ${mention(event.by)}.`;
    case 'rejected':
      return `:no_entry: Rejected by ${mention(event.by)}${event.reason ? `: ${escapeText(event.reason)}` : ''}.`;
    case 'cancelled':
      return `:no_entry_sign: Cancelled by ${mention(event.by)} before approval; nothing ran.`;
    case 'cancel_requested':
      return `:octagonal_sign: ${mention(event.by)} asked to cancel: nothing more is sent and commands already sent are being cancelled.`;
    case 'approval_recorded':
      return `:ballot_box_with_check: Approval ${approvals} of ${required} by ${mention(event.by)}; waiting for a different approver.`;
  }
};

/** Shows a decision everywhere it matters (queued in the outbox): the approval message (buttons gone once decided) and the run's thread. */
export const publishDecision = async (deps: Pick<SlackDeps, 'pool' | 'wakeOutbox'>, runId: string, event: DecisionEvent): Promise<void> => {
  await deps.pool.transaction(async (tx) => {
    const row = await getRun(tx, runId);
    if (!row) return;
    const approvedBy = await listApprovers(tx, runId);
    // A cancel request on an approved/running run leaves the approval message as it is (already decided).
    if (event.kind !== 'cancel_requested') {
      await oweApproval(tx, runId, event.kind === 'approval_recorded' ? undefined : { status: event.kind, by: event.by, ...(event.reason ? { reason: event.reason } : {}) });
    }
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, { kind: 'text', text: threadText(event, approvedBy.length, row.approvals_required) });
  });
  deps.wakeOutbox();
};
