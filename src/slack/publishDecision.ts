import { escapeText } from '../domain/escapeText.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { getFreeze } from '../db/queries/settings.ts';
import { approvalMessage } from './blocks/approvalMessage.ts';
import { mention } from './blocks/mention.ts';
import { runMessage } from './blocks/runMessage.ts';
import { loadRunView, loadTargetGroups } from './loadRunView.ts';
import type { SlackDeps } from './slackDeps.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';

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

/** Shows a decision everywhere it matters: the approval message (buttons gone once decided) and the run's thread. */
export const publishDecision = async (deps: Pick<SlackDeps, 'pool' | 'registry' | 'sender'>, runId: string, event: DecisionEvent): Promise<void> => {
  const loaded = await loadRunView(deps.pool, deps.registry, runId);
  if (!loaded) return;
  const { row, view } = loaded;
  const approvedBy = await listApprovers(deps.pool, runId);
  // A cancel request on an approved/running run leaves the approval message as it is (already decided).
  if (row.approval_ts && event.kind !== 'cancel_requested') {
    const decided = event.kind === 'approval_recorded' ? undefined : { status: event.kind, by: event.by, reason: event.reason };
    const groups = await loadTargetGroups(deps.pool, runId);
    deps.sender.update(row.approval_channel_id, row.approval_ts, approvalMessage(view, groups, { approvedBy, decided, freeze: await getFreeze(deps.pool), targeting: await getRunTargeting(deps.pool, runId) }));
  }
  if (row.message_ts) {
    deps.sender.update(row.channel_id, row.message_ts, runMessage(view));
    await deps.sender.post(row.channel_id, { text: threadText(event, approvedBy.length, row.approvals_required) }, row.message_ts);
  }
};
