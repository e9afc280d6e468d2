import { escapeText } from '../domain/escapeText.ts';
import { oweApproval, oweChannelPost } from '../db/queries/outbox.ts';
import { listOpenApprovalMessages } from '../db/queries/runs.ts';
import type { Freeze } from '../db/queries/settings.ts';
import { mention } from './blocks/mention.ts';
import type { SlackDeps } from './slackDeps.ts';

/**
 * After the freeze toggles: every open approval message shows (or drops) the freeze banner (rendered from
 * the stored freeze when sent), and the approvals channel is told who switched it and why. Queued in the outbox.
 */
export const publishFreeze = async (deps: Pick<SlackDeps, 'pool' | 'approvalChannelId' | 'wakeOutbox'>, freeze: Freeze, by: string): Promise<void> => {
  const text = freeze.on
    ? `:snowflake: ${mention(by)} turned the change freeze *on*${freeze.reason ? `: ${escapeText(freeze.reason)}` : ''}. Approvals and new dispatches are blocked until \`/ops freeze off\`.`
    : `:sunny: ${mention(by)} lifted the change freeze; approvals and dispatches are open again.`;
  await deps.pool.transaction(async (tx) => {
    for (const row of await listOpenApprovalMessages(tx)) if (row.approval_ts) await oweApproval(tx, row.id);
    await oweChannelPost(tx, deps.approvalChannelId, text);
  });
  deps.wakeOutbox();
};
