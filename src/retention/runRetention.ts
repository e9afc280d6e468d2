import type { DatabasePool } from 'slonik';
import { pruneExpiredOutput } from './pruneExpiredOutput.ts';
import { pruneStaleInstances } from './pruneStaleInstances.ts';

export type RetentionSettings = {
  /** OUTPUT_RETENTION_DAYS */
  readonly outputRetentionDays: number;
  /** INSTANCE_RETENTION_DAYS */
  readonly instanceRetentionDays: number;
  /** RETENTION_BATCH_SIZE */
  readonly batchSize: number;
};

export type RetentionReport = { readonly outputPruned: number; readonly instancesDeleted: number; readonly batches: number };

/**
 * One retention pass (meant to be a periodic background job; any replica may run it, concurrent
 * passes skip each other's rows). Returns what it removed, for the job's log line.
 */
export const runRetention = async (pool: DatabasePool, settings: RetentionSettings, signal?: AbortSignal): Promise<RetentionReport> => {
  const output = await pruneExpiredOutput(pool, { olderThanDays: settings.outputRetentionDays, batchSize: settings.batchSize, signal });
  const instances = await pruneStaleInstances(pool, {
    notSeenForDays: settings.instanceRetentionDays,
    batchSize: settings.batchSize,
    signal,
  });
  return { outputPruned: output.pruned, instancesDeleted: instances.deleted, batches: output.batches + instances.batches };
};
