import type { DatabasePool } from 'slonik';
import { deleteStaleInstancesBatch } from '../db/queries/retention.ts';
import { loopBatches } from './loopBatches.ts';

export type PruneInstancesOptions = {
  /** Inventory rows not seen for longer than this are deleted; 0 keeps them. */
  readonly notSeenForDays: number;
  readonly batchSize: number;
  readonly signal?: AbortSignal | undefined;
};

/** Deletes inventory rows of instances not seen for a long time (terminated, moved, deregistered). */
export const pruneStaleInstances = async (
  pool: DatabasePool,
  options: PruneInstancesOptions,
): Promise<{ readonly deleted: number; readonly batches: number }> => {
  if (options.notSeenForDays <= 0) return { deleted: 0, batches: 0 };
  const { rows, batches } = await loopBatches(() => deleteStaleInstancesBatch(pool, options), options);
  return { deleted: rows, batches };
};
