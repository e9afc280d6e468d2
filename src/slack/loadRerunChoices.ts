import type { DatabasePool } from 'slonik';
import { groupFailureCauses } from '../domain/failureCauses.ts';
import { rerunExecutionStatuses } from '../domain/rerunPolicy.ts';
import { countFailureCauses } from '../db/queries/executions.ts';
import type { RequestValues } from './blocks/requestModal.ts';

// Cause groups offered in the re-run modal (the rest are counted).
const MAX_CAUSES = 25;

/** A finished run's failed set and its cause groups, for the "Re-run failed" modal. */
export const loadRerunChoices = async (pool: DatabasePool, runId: string): Promise<NonNullable<RequestValues['rerun']>> => {
  const causes = groupFailureCauses(await countFailureCauses(pool, runId, rerunExecutionStatuses));
  return {
    runId,
    failed: causes.reduce((n, c) => n + c.count, 0),
    causes: causes.slice(0, MAX_CAUSES),
    total: causes.length,
  };
};
