import type { DatabasePool } from 'slonik';
import { oweApproval, oweRunParent, oweRunReply } from '../db/queries/outbox.ts';
import type { RunRow } from '../db/queries/runs.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';
import { mention } from './blocks/mention.ts';
import { preflightText } from './blocks/preflightText.ts';

/**
 * After a request is stored: the parent message in the requester's channel (the outbox falls back to
 * their DM when the bot cannot post there), a "submitted" thread reply, and the approval request. Queued
 * in one transaction; the outbox sends them.
 */
export const announceRun = async (deps: { pool: DatabasePool; wakeOutbox: () => void }, run: RunRow): Promise<void> => {
  // The pre-flight counts, as the requester's record of what was resolved (the approval message shows them too).
  const targeting = await getRunTargeting(deps.pool, run.id);
  const counts = targeting ? `\n${preflightText(targeting)}` : '';
  await deps.pool.transaction(async (tx) => {
    await oweRunParent(tx, run.id);
    await oweRunReply(tx, run.id, {
      kind: 'text',
      text: `:memo: Submitted by ${mention(run.requester_id)}; waiting for approval in <#${run.approval_channel_id}>.${counts}`,
    });
    await oweApproval(tx, run.id);
  });
  deps.wakeOutbox();
};
