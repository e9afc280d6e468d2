import type { DatabasePool } from 'slonik';
import { pruneExecutionOutputBatch } from '../db/queries/retention.ts';
import { loopBatches } from './loopBatches.ts';

export type PruneOutputOptions = {
  /** Executions finished longer ago than this lose their stored stdout/stderr; 0 keeps output for ever. */
  readonly olderThanDays: number;
  readonly batchSize: number;
  readonly signal?: AbortSignal | undefined;
};

/** Prunes old executions' output batch by batch until none is left; statuses, results and audit stay. */
export const pruneExpiredOutput = async (
  pool: DatabasePool,
  options: PruneOutputOptions,
): Promise<{ readonly pruned: number; readonly batches: number }> => {
  if (options.olderThanDays <= 0) return { pruned: 0, batches: 0 };
  const { rows, batches } = await loopBatches(() => pruneExecutionOutputBatch(pool, options), options);
  return { pruned: rows, batches };
};
