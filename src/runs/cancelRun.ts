import type { DatabasePool } from 'slonik';
import { decideCancel } from '../domain/cancelPolicy.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { appendAudit, appendRefusal } from '../db/queries/audit.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { oweDecision } from '../db/queries/outbox.ts';
import { getRun, lockRun, requestRunCancel, transitionRun, type RunRow } from '../db/queries/runs.ts';
import type { ApproversFor } from './decideRun.ts';

/** `cancelled`: the run never started and is now cancelled. `cancel_requested`: the executor is stopping it. */
export type CancelResult = { readonly ok: true; readonly outcome: 'cancelled' | 'cancel_requested'; readonly run: RunRow } | Refusal;

export type RunCanceller = { readonly cancel: (p: { runId: string; userId: string }) => Promise<CancelResult> };

/**
 * Cancel from Slack (`/ops cancel`, the Cancel button): the requester or an approver of the tool. A pending
 * request or a scheduled run (waiting for its window) moves straight to cancelled (guarded transition); an approved or running run gets
 * `cancel_requested_by` (guarded update) and the executor stops it: no further sends, CancelCommand for
 * what was sent.
 */
export const createRunCanceller = (deps: {
  readonly pool: DatabasePool;
  readonly approversFor: ApproversFor;
  /** Lets the replica driving the run react now instead of at its next poll round (wired in main.ts). */
  readonly onCancelRequested?: (runId: string) => void;
}): RunCanceller => ({
  cancel: async ({ runId, userId }) => {
    const current = await getRun(deps.pool, runId);
    if (!current) return refuse('not_found', 'No such run. Check the id with `/ops history`.');
    const approvers = await deps.approversFor(current.tool);
    const result = await deps.pool.transaction(async (tx): Promise<CancelResult> => {
      const run = await lockRun(tx, runId);
      if (!run) return refuse('not_found', 'No such run. Check the id with `/ops history`.');
      const verdict = decideCancel({
        userId,
        approvers,
        run: { status: run.status, requesterId: run.requester_id, cancelRequestedBy: run.cancel_requested_by },
      });
      if (!verdict.ok) return verdict;
      // What the cancel owes Slack (approval message, parent, thread) is queued in this same transaction.
      const told = { by: userId, approvals: (await listApprovers(tx, runId)).length, required: run.approvals_required };
      if (verdict.mode === 'cancel_now') {
        const from = run.status === 'scheduled' ? 'scheduled' : 'pending_approval';
        const moved = await transitionRun(tx, runId, [from], 'cancelled', { cancelRequestedBy: userId });
        if (!moved) return refuse('not_pending', 'This run changed a moment ago; look at its thread and try again if it is still needed.');
        await finishOpenExecutions(
          tx,
          runId,
          'not_sent',
          `cancelled by ${userId} before ${from === 'scheduled' ? 'its start' : 'approval'}`,
        );
        await appendAudit(tx, {
          runId,
          actor: userId,
          action: 'cancelled',
          fromStatus: from,
          toStatus: 'cancelled',
          correlationId: run.correlation_id,
        });
        await oweDecision(tx, runId, { event: 'cancelled', ...told, ...(from === 'scheduled' ? { wasScheduled: true } : {}) });
        return { ok: true, outcome: 'cancelled', run: moved };
      }
      const marked = await requestRunCancel(tx, runId, userId);
      if (!marked) return refuse('not_running', 'This run changed a moment ago; look at its thread and try again if it is still needed.');
      await appendAudit(tx, {
        runId,
        actor: userId,
        action: 'cancel_requested',
        fromStatus: run.status,
        toStatus: run.status,
        correlationId: run.correlation_id,
      });
      await oweDecision(tx, runId, { event: 'cancel_requested', ...told });
      return { ok: true, outcome: 'cancel_requested', run: marked };
    });
    if (result.ok && result.outcome === 'cancel_requested') deps.onCancelRequested?.(runId);
    if (!result.ok && result.code !== 'not_found') {
      return appendRefusal(deps.pool, {
        actor: userId,
        attempted: 'cancel',
        refusal: result,
        runId,
        correlationId: current.correlation_id,
      });
    }
    return result;
  },
});
