import type { DatabasePool } from 'slonik';
import { setApprovalMessage, setRunMessage, type RunRow } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { approvalMessage } from './blocks/approvalMessage.ts';
import { mention } from './blocks/mention.ts';
import { preflightText } from './blocks/preflightText.ts';
import { runMessage } from './blocks/runMessage.ts';
import { loadTargetGroups, toRunView } from './loadRunView.ts';
import type { Sender } from './sender.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';

/**
 * After a request is stored: the parent message in the requester's channel (or their DM when the bot
 * cannot post there), a "submitted" thread reply, and the approval request in the approvals channel.
 */
export const announceRun = async (
  deps: { pool: DatabasePool; registry: ToolRegistry; sender: Sender; openDm: (user: string) => Promise<string | undefined> },
  run: RunRow,
): Promise<void> => {
  const view = toRunView(run, deps.registry);
  const targeting = await getRunTargeting(deps.pool, run.id);
  const parent = runMessage(view);
  let channel = run.channel_id;
  let ts = await deps.sender.post(channel, parent);
  if (!ts) {
    const dm = await deps.openDm(run.requester_id);
    if (dm) {
      channel = dm;
      ts = await deps.sender.post(channel, parent);
    }
  }
  if (ts) {
    await setRunMessage(deps.pool, run.id, channel, ts);
    const counts = targeting ? `\n${preflightText(targeting)}` : '';
    await deps.sender.post(channel, { text: `:memo: Submitted by ${mention(run.requester_id)}; waiting for approval in <#${run.approval_channel_id}>.${counts}` }, ts);
  }
  const groups = await loadTargetGroups(deps.pool, run.id);
  const approvalTs = await deps.sender.post(run.approval_channel_id, approvalMessage(view, groups, { approvedBy: [], freeze: await getFreeze(deps.pool), targeting }));
  if (approvalTs) await setApprovalMessage(deps.pool, run.id, approvalTs);
};
