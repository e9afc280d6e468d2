import { groupFailureCauses, MAX_STORED_CAUSES, type CauseGroup } from '../../domain/failureCauses.ts';
import { rerunExecutionStatuses } from '../../domain/rerunPolicy.ts';
import type { FinishedExecution } from '../../domain/runNotifier.ts';
import type { Db } from './db.ts';
import { countFailureCauses, listExecutionsForSummary } from './executions.ts';

/** Executions listed in a final summary: failures first, bounded so a 5,000-instance run stays one message. */
const SUMMARY_ROWS = 40;

const summaryOf = (result: unknown): string | null => {
  const r = result as { summary?: unknown } | null;
  return r && typeof r.summary === 'string' ? r.summary : null;
};

export type RunSummaryParts = {
  readonly notable: FinishedExecution[];
  /** Failures grouped by cause, largest first (the first MAX_STORED_CAUSES), and how many causes there were. */
  readonly causes: CauseGroup[];
  readonly causeCount: number;
};

/** What a run's final summary shows (whoever ends the run: the executor, or Stop on a halted one); one transaction. */
export const loadRunSummary = async (db: Db, runId: string): Promise<RunSummaryParts> =>
  db.transaction(async (tx) => {
    const rows = await listExecutionsForSummary(tx, runId, SUMMARY_ROWS);
    const causes = groupFailureCauses(await countFailureCauses(tx, runId, rerunExecutionStatuses));
    return {
      notable: rows.map((r) => ({
        instanceId: r.instance_id,
        accountId: r.account_id,
        region: r.region,
        status: r.status,
        statusDetails: r.status_details,
        summary: summaryOf(r.result),
      })),
      causes: causes.slice(0, MAX_STORED_CAUSES),
      causeCount: causes.length,
    };
  });
