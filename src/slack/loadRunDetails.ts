import type { DatabasePool } from 'slonik';
import { listApprovers } from '../db/queries/approvals.ts';
import { listRunAudit } from '../db/queries/audit.ts';
import { countExecutionsByStatus, countExecutionsByWave, listExecutionsForSummary } from '../db/queries/executions.ts';
import type { RunRow } from '../db/queries/runs.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { RunDetails } from './blocks/runDetails.ts';
import { toRunView } from './loadRunView.ts';

const summaryOf = (result: unknown): string | null => {
  const r = result as { summary?: unknown } | null;
  return r && typeof r.summary === 'string' ? r.summary : null;
};

/** What `/ops show` displays about one run. */
export const loadRunDetails = async (pool: DatabasePool, registry: ToolRegistry, run: RunRow): Promise<RunDetails> => {
  const [approvedBy, counts, executions, audit, waves] = await Promise.all([
    listApprovers(pool, run.id),
    countExecutionsByStatus(pool, run.id),
    listExecutionsForSummary(pool, run.id, 15),
    listRunAudit(pool, run.id),
    countExecutionsByWave(pool, run.id),
  ]);
  return {
    run: toRunView(run, registry),
    approvedBy,
    times: { approvedAt: run.approved_at, startedAt: run.started_at, finishedAt: run.finished_at },
    counts,
    notable: executions.map((e) => ({
      instanceId: e.instance_id,
      accountId: e.account_id,
      region: e.region,
      status: e.status,
      statusDetails: e.status_details,
      summary: summaryOf(e.result),
      wave: e.wave,
    })),
    waves,
    outputPruned: executions.some((e) => e.output_pruned_at !== null),
    audit: audit.map((a) => ({
      at: a.at,
      actor: a.actor,
      action: a.action,
      fromStatus: a.from_status,
      toStatus: a.to_status,
      reason: a.reason,
    })),
  };
};
