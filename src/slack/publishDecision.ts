import { listApprovers } from '../db/queries/approvals.ts';
import { getFreeze } from '../db/queries/settings.ts';
import { approvalMessage } from './blocks/approvalMessage.ts';
import { runMessage } from './blocks/runMessage.ts';
import { loadRunView, loadTargetGroups } from './loadRunView.ts';
import type { SlackDeps } from './slackDeps.ts';

export type DecisionEvent = { readonly kind: 'approved' | 'approval_recorded' | 'rejected'; readonly by: string; readonly reason?: string };

/** Shows a decision everywhere it matters: the approval message (buttons gone once decided) and the run's thread. */
export const publishDecision = async (deps: Pick<SlackDeps, 'pool' | 'registry' | 'sender'>, runId: string, event: DecisionEvent): Promise<void> => {
  const loaded = await loadRunView(deps.pool, deps.registry, runId);
  if (!loaded) return;
  const { row, view } = loaded;
  const approvedBy = await listApprovers(deps.pool, runId);
  const decided = event.kind === 'approval_recorded' ? undefined : { status: event.kind, by: event.by, reason: event.reason };
  if (row.approval_ts) {
    const groups = await loadTargetGroups(deps.pool, runId);
    deps.sender.update(row.approval_channel_id, row.approval_ts, approvalMessage(view, groups, { approvedBy, decided, freeze: await getFreeze(deps.pool) }));
  }
  if (row.message_ts) {
    deps.sender.update(row.channel_id, row.message_ts, runMessage(view));
    const text =
      event.kind === 'approved'
        ? `:white_check_mark: Approved by <@${event.by}>.`
        : event.kind === 'rejected'
          ? `:no_entry: Rejected by <@${event.by}>${event.reason ? `: ${event.reason}` : ''}.`
          : `:ballot_box_with_check: Approval ${approvedBy.length} of ${row.approvals_required} by <@${event.by}>; waiting for a different approver.`;
    await deps.sender.post(row.channel_id, { text }, row.message_ts);
  }
};
