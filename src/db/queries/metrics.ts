import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

const countRow = z.object({ status: z.string(), n: z.number() });

/** Runs per status (read at each /metrics scrape; the status index keeps it cheap). */
export const countRunsByStatus = async (db: Db): Promise<readonly { status: string; n: number }[]> =>
  db.any(sql.type(countRow)`select status, count(*)::int as n from runs group by status`);

/** Executions of runs still approved or running, per status: the live work, not the whole history. */
export const countActiveExecutionsByStatus = async (db: Db): Promise<readonly { status: string; n: number }[]> =>
  db.any(sql.type(countRow)`
    select e.status, count(*)::int as n from executions e join runs r on r.id = e.run_id
    where r.status in ('approved', 'running') group by e.status`);

/**
 * Seconds since each account/region's inventory last synced successfully (null: never), by the database's
 * clock; a scope whose sync keeps failing ages while its last good data is still used for targeting.
 */
export const readInventoryAges = async (
  db: Db,
): Promise<readonly { partition: string; account_id: string; region: string; age: number | null }[]> =>
  db.any(sql.type(z.object({ partition: z.string(), account_id: z.string(), region: z.string(), age: z.number().nullable() }))`
    select partition, account_id, region, extract(epoch from now() - last_success_at)::float8 as age
    from inventory_scopes order by partition, account_id, region`);

/** The cheapest round trip: is the database answering now? */
export const pingDatabase = async (db: Db): Promise<boolean> =>
  (await db.oneFirst(sql.type(z.object({ ok: z.number() }))`select 1 as ok`)) === 1;
