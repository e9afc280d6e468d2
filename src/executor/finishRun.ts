import { runOutcome } from '../domain/runOutcome.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { countExecutionsByStatus } from '../db/queries/executions.ts';
import { loadRunSummary } from '../db/queries/runSummary.ts';
import { oweRunFinished } from '../db/queries/outbox.ts';
import { transitionRun } from '../db/queries/runs.ts';
import type { RunContext } from './executorDeps.ts';

/** A cancel ends the run as `cancelled`, recorded as the canceller's act (one audit event, not two). */
export type Cancelled = { readonly by: string; readonly data?: Record<string, unknown> };

/**
 * Moves a running run to its outcome (guarded on status and lease) and reports it once. The audit event
 * and the Slack messages it owes (the outbox) are written in the same transaction as the transition, so
 * they exist exactly when the transition does, whatever happens to this process or to Slack afterwards.
 */
export const finishRun = async (ctx: RunContext, cancelled?: Cancelled): Promise<void> => {
  const { deps, run } = ctx;
  const counts = await countExecutionsByStatus(deps.pool, run.id);
  const status = cancelled ? 'cancelled' : runOutcome(counts);
  // Every execution has ended by now: the summary is read before the transition that owes it.
  const summary = await loadRunSummary(deps.pool, run.id);
  const moved = await deps.pool.transaction(async (tx) => {
    const row = await transitionRun(tx, run.id, ['running'], status, { owner: deps.owner, outcome: { counts } });
    if (row) {
      await appendAudit(tx, {
        runId: run.id,
        actor: cancelled?.by ?? 'executor',
        action: cancelled ? 'cancelled' : 'finished',
        fromStatus: 'running',
        toStatus: status,
        correlationId: run.correlation_id,
        data: { counts, ...cancelled?.data },
      });
      await oweRunFinished(tx, run.id, { kind: 'summary', status, counts, ...summary });
    }
    return row;
  });
  if (!moved) {
    ctx.log.warn('run was moved by someone else before it could finish here');
    return;
  }
  ctx.log.info({ status, counts }, 'run finished');
  deps.metrics?.runFinished(status, (Date.now() - (run.started_at ?? Date.now())) / 1000);
  await deps.notifier.runFinished({ runId: run.id }, status, counts, summary.notable);
};
