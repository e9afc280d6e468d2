import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

const ms = (n: number) => sql.fragment`${Math.max(0, Math.round(n))} * interval '1 millisecond'`;

/** Makes sure a job has its row; its first run is due after `firstRunInMs` (0: at once). Idempotent. */
export const ensurePeriodicJob = async (db: Db, name: string, firstRunInMs: number): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into periodic_jobs (name, next_run_at) values (${name}, now() + ${ms(firstRunInMs)}) on conflict (name) do nothing`);
};

/**
 * Claims a job if it is due and nobody holds it (or their claim lapsed): exactly one replica gets true. The next
 * run is scheduled at once (from the claim), so a slow run does not shift the schedule.
 */
export const claimPeriodicJob = async (db: Db, name: string, owner: string, p: { intervalMs: number; lockMs: number }): Promise<boolean> =>
  (await db.maybeOne(sql.type(z.object({ name: z.string() }))`
    update periodic_jobs set locked_by = ${owner}, locked_until = now() + ${ms(p.lockMs)}, last_started_at = now(),
      next_run_at = now() + ${ms(p.intervalMs)}
    where name = ${name} and next_run_at <= now() and (locked_until is null or locked_until < now())
    returning name`)) !== null;

/** Releases a claim this owner holds, recording how the run ended. */
export const finishPeriodicJob = async (db: Db, name: string, owner: string, error: string | null): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update periodic_jobs set locked_by = null, locked_until = null, last_finished_at = now(), last_error = ${error?.slice(0, 1000) ?? null}
    where name = ${name} and locked_by = ${owner}`);
};
