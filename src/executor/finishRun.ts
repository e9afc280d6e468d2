import type { FinishedExecution } from '../domain/runNotifier.ts';
import { runOutcome } from '../domain/runOutcome.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { countExecutionsByStatus, listExecutionsForSummary } from '../db/queries/executions.ts';
import { transitionRun } from '../db/queries/runs.ts';
import type { RunContext } from './executorDeps.ts';

const SUMMARY_ROWS = 40;

const summaryOf = (result: unknown): string | null => {
  const r = result as { summary?: unknown } | null;
  return r && typeof r.summary === 'string' ? r.summary : null;
};

/** Moves a running run to its outcome (guarded on status and lease) and reports it once. */
export const finishRun = async (ctx: RunContext, forced?: 'cancelled'): Promise<void> => {
  const { deps, run } = ctx;
  const counts = await countExecutionsByStatus(deps.pool, run.id);
  const status = forced ?? runOutcome(counts);
  const moved = await deps.pool.transaction(async (tx) => {
    const row = await transitionRun(tx, run.id, ['running'], status, { owner: deps.owner, outcome: { counts } });
    if (row) {
      await appendAudit(tx, { runId: run.id, actor: 'executor', action: 'finished', fromStatus: 'running', toStatus: status, correlationId: run.correlation_id, data: { counts } });
    }
    return row;
  });
  if (!moved) {
    ctx.log.warn('run was moved by someone else before it could finish here');
    return;
  }
  const rows = await listExecutionsForSummary(deps.pool, run.id, SUMMARY_ROWS);
  const notable: FinishedExecution[] = rows.map((r) => ({
    instanceId: r.instance_id, accountId: r.account_id, region: r.region, status: r.status,
    statusDetails: r.status_details, summary: summaryOf(r.result),
  }));
  ctx.log.info({ status, counts }, 'run finished');
  await deps.notifier.runFinished({ runId: run.id }, status, counts, notable);
};
