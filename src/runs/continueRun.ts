import type { DatabasePool } from 'slonik';
import { decideContinue } from '../domain/haltPolicy.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { countRolloutTally } from '../db/queries/executions.ts';
import { oweDecision } from '../db/queries/outbox.ts';
import { getRun, lockRun, transitionRun, type RunRow } from '../db/queries/runs.ts';
import type { ApproversFor } from './decideRun.ts';

export type ContinueResult = { readonly ok: true; readonly run: RunRow } | Refusal;
export type RunContinuer = { readonly continue: (p: { runId: string; userId: string }) => Promise<ContinueResult> };

const GONE = 'No such run. Check the id with `/ops history`.';

/**
 * Continue on a halted rollout: an approver of the tool who is not the requester (decided on the locked
 * row), then the guarded halted → running transition. The failures so far are accepted (the budget applies
 * afresh to what fails next); the audit event names the plan digest the run was approved with. The run
 * is then claimable again by any replica, which dispatches the next wave.
 */
export const createRunContinuer = (deps: {
  readonly pool: DatabasePool;
  readonly approversFor: ApproversFor;
  /** Lets a replica claim the run now instead of at its next tick (wired in main.ts). */
  readonly onContinued?: (runId: string) => void;
}): RunContinuer => ({
  continue: async ({ runId, userId }) => {
    const current = await getRun(deps.pool, runId);
    if (!current) return refuse('not_found', GONE);
    const approvers = await deps.approversFor(current.tool);
    const result = await deps.pool.transaction(async (tx): Promise<ContinueResult> => {
      const run = await lockRun(tx, runId);
      if (!run) return refuse('not_found', GONE);
      const verdict = decideContinue({ userId, approvers, run: { status: run.status, requesterId: run.requester_id } });
      if (!verdict.ok) return verdict;
      const { failed } = await countRolloutTally(tx, runId);
      const moved = await transitionRun(tx, runId, ['halted'], 'running', { failuresAccepted: failed });
      if (!moved) return refuse('not_halted', 'This run changed a moment ago; look at its thread.');
      await appendAudit(tx, {
        runId,
        actor: userId,
        action: 'continued',
        fromStatus: 'halted',
        toStatus: 'running',
        correlationId: run.correlation_id,
        data: { planDigest: run.plan_digest, halt: run.halt, failuresAccepted: failed },
      });
      const told = { by: userId, approvals: (await listApprovers(tx, runId)).length, required: run.approvals_required };
      await oweDecision(tx, runId, { event: 'continued', ...told });
      return { ok: true, run: moved };
    });
    if (result.ok) deps.onContinued?.(runId);
    else if (result.code !== 'not_found') {
      await appendAudit(deps.pool, {
        runId,
        actor: userId,
        action: 'continue_refused',
        reason: result.message,
        correlationId: current.correlation_id,
        data: { code: result.code, planDigest: current.plan_digest },
      });
    }
    return result;
  },
});
