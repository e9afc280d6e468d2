import type { Decision } from '../domain/owedMessage.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { oweDecision } from '../db/queries/outbox.ts';
import { getRun } from '../db/queries/runs.ts';
import type { SlackDeps } from './slackDeps.ts';

export type DecisionEvent = Pick<Decision, 'event' | 'by' | 'reason'>;

/**
 * Shows a decision made outside runs/decideRun.ts (a cancel) everywhere it matters, through the outbox.
 * Approvals and rejections are queued by the decider in their own transaction.
 */
export const publishDecision = async (deps: Pick<SlackDeps, 'pool' | 'wakeOutbox'>, runId: string, event: DecisionEvent): Promise<void> => {
  await deps.pool.transaction(async (tx) => {
    const row = await getRun(tx, runId);
    if (!row) return;
    const approvals = (await listApprovers(tx, runId)).length;
    await oweDecision(tx, runId, { ...event, approvals, required: row.approvals_required });
  });
  deps.wakeOutbox();
};
