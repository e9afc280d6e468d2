import { escapeText } from '../domain/escapeText.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { listOpenApprovalMessages } from '../db/queries/runs.ts';
import type { Freeze } from '../db/queries/settings.ts';
import { approvalMessage } from './blocks/approvalMessage.ts';
import { mention } from './blocks/mention.ts';
import { loadTargetGroups, toRunView } from './loadRunView.ts';
import type { SlackDeps } from './slackDeps.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';

/**
 * After the freeze toggles: every open approval message shows (or drops) the freeze banner, and the
 * approvals channel is told who switched it and why.
 */
export const publishFreeze = async (deps: Pick<SlackDeps, 'pool' | 'registry' | 'sender' | 'approvalChannelId'>, freeze: Freeze, by: string): Promise<void> => {
  for (const row of await listOpenApprovalMessages(deps.pool)) {
    if (!row.approval_ts) continue;
    const view = toRunView(row, deps.registry);
    const [groups, approvedBy] = await Promise.all([loadTargetGroups(deps.pool, row.id), listApprovers(deps.pool, row.id)]);
    deps.sender.update(row.approval_channel_id, row.approval_ts, approvalMessage(view, groups, { approvedBy, freeze, targeting: await getRunTargeting(deps.pool, row.id) }));
  }
  const text = freeze.on
    ? `:snowflake: ${mention(by)} turned the change freeze *on*${freeze.reason ? `: ${escapeText(freeze.reason)}` : ''}. Approvals and new dispatches are blocked until \`/ops freeze off\`.`
    : `:sunny: ${mention(by)} lifted the change freeze; approvals and dispatches are open again.`;
  await deps.sender.post(deps.approvalChannelId, { text });
};
