import type { DatabasePool } from 'slonik';
import { decideStop } from '../domain/haltPolicy.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { abandonUnsentChunks } from '../db/queries/chunks.ts';
import { countExecutionsByStatus } from '../db/queries/executions.ts';
import { loadRunSummary } from '../db/queries/runSummary.ts';
import { oweDecision, oweRunFinished } from '../db/queries/outbox.ts';
import { getRun, lockRun, transitionRun, type RunRow } from '../db/queries/runs.ts';
import type { ApproversFor } from './decideRun.ts';

export type StopResult = { readonly ok: true; readonly run: RunRow } | Refusal;
export type RunStopper = { readonly stop: (p: { runId: string; userId: string }) => Promise<StopResult> };

const GONE = 'No such run. Check the id with `/ops history`.';
/**
 * Stop on a halted rollout (the requester or an approver): halted → stopped (terminal, guarded). A halted
 * run has nothing in flight, so stopping is the database's alone: the unsent chunks are abandoned (their
 * executions `not_sent`), and the decision and the final summary are owed to Slack, all in one transaction.
 */
export const createRunStopper = (deps: { readonly pool: DatabasePool; readonly approversFor: ApproversFor }): RunStopper => ({
  stop: async ({ runId, userId }) => {
    const current = await getRun(deps.pool, runId);
    if (!current) return refuse('not_found', GONE);
    const approvers = await deps.approversFor(current.tool);
    const result = await deps.pool.transaction(async (tx): Promise<StopResult> => {
      const run = await lockRun(tx, runId);
      if (!run) return refuse('not_found', GONE);
      const verdict = decideStop({ userId, approvers, run: { status: run.status, requesterId: run.requester_id } });
      if (!verdict.ok) return verdict;
      const unsent = await abandonUnsentChunks(tx, runId, `rollout stopped by ${userId}`);
      const counts = await countExecutionsByStatus(tx, runId);
      const moved = await transitionRun(tx, runId, ['halted'], 'stopped', { outcome: { counts } });
      if (!moved) return refuse('not_halted', 'This run changed a moment ago; look at its thread.');
      await appendAudit(tx, {
        runId,
        actor: userId,
        action: 'stopped',
        fromStatus: 'halted',
        toStatus: 'stopped',
        correlationId: run.correlation_id,
        data: { planDigest: run.plan_digest, halt: run.halt, unsentChunks: unsent, counts },
      });
      const told = { by: userId, approvals: (await listApprovers(tx, runId)).length, required: run.approvals_required };
      await oweDecision(tx, runId, { event: 'stopped', ...told });
      await oweRunFinished(tx, runId, { kind: 'summary', status: 'stopped', counts, ...(await loadRunSummary(tx, runId)) });
      return { ok: true, run: moved };
    });
    if (!result.ok && result.code !== 'not_found') {
      await appendAudit(deps.pool, {
        runId,
        actor: userId,
        action: 'stop_refused',
        reason: result.message,
        correlationId: current.correlation_id,
        data: { code: result.code },
      });
    }
    return result;
  },
});
