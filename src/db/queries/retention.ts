import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

/**
 * Removes the stored stdout/stderr of at most `batchSize` executions that finished more than
 * `olderThanDays` ago, oldest first, and marks them pruned. Status, result, timestamps and command id
 * stay. One short statement: rows another transaction holds are skipped (taken by the next batch), so
 * retention never waits on the executor or locks more than one batch. Returns the rows pruned.
 */
export const pruneExecutionOutputBatch = async (
  db: Db,
  p: { readonly olderThanDays: number; readonly batchSize: number },
): Promise<number> => {
  const result = await db.query(sql.type(z.object({}))`
    with batch as (
      select id from executions
      where output_pruned_at is null and finished_at is not null and (stdout is not null or stderr is not null)
        and finished_at < now() - make_interval(days => ${p.olderThanDays})
      order by finished_at
      limit ${p.batchSize}
      for update skip locked
    )
    update executions e set stdout = null, stderr = null, output_pruned_at = now()
    from batch where e.id = batch.id`);
  return result.rowCount;
};

/** Deletes at most `batchSize` inventory rows not seen for `notSeenForDays` (the locator asks SSM again if needed). */
export const deleteStaleInstancesBatch = async (
  db: Db,
  p: { readonly notSeenForDays: number; readonly batchSize: number },
): Promise<number> => {
  const result = await db.query(sql.type(z.object({}))`
    with batch as (
      select instance_id from instances
      where last_seen_at < now() - make_interval(days => ${p.notSeenForDays})
      order by last_seen_at
      limit ${p.batchSize}
      for update skip locked
    )
    delete from instances i using batch where i.instance_id = batch.instance_id`);
  return result.rowCount;
};
