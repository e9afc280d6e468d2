import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

export type WorkNoteKind = 'started' | 'finished';

/** Queues a work note (the outbox). One per run and kind: a repeated notification inserts nothing. */
export const insertWorkNote = async (
  db: Db,
  n: { runId: string; changeNumber: string; kind: WorkNoteKind; status: string | null; counts: Record<string, number> },
): Promise<boolean> => {
  const row = await db.maybeOne(sql.type(z.object({ id: z.bigint() }))`
    insert into work_notes (run_id, change_number, kind, status, counts)
    values (${n.runId}, ${n.changeNumber}, ${n.kind}, ${n.status}, ${sql.jsonb(n.counts)})
    on conflict (run_id, kind) do nothing
    returning id`);
  return row !== null;
};

const workNoteRow = z.object({
  id: z.bigint(),
  run_id: z.string(),
  change_number: z.string(),
  kind: z.enum(['started', 'finished']),
  status: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  written_at: z.number().nullable(),
  failed_at: z.number().nullable(),
});
export type WorkNoteRow = z.infer<typeof workNoteRow>;

const cols = sql.fragment`id, run_id, change_number, kind, status, counts, attempts, last_error, written_at, failed_at`;

/**
 * Claims due notes for this writer: counts the attempt and pushes the next one `leaseSeconds` out, so
 * another replica skips them meanwhile (SKIP LOCKED). A run's "finished" note waits for its "started" one.
 */
export const claimDueWorkNotes = async (db: Db, p: { limit: number; leaseSeconds: number }): Promise<readonly WorkNoteRow[]> =>
  db.any(sql.type(workNoteRow)`
    update work_notes set attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${p.leaseSeconds})
    where id in (
      select w.id from work_notes w
      where w.written_at is null and w.failed_at is null and w.next_attempt_at <= now()
        and not exists (
          select 1 from work_notes p
          where p.run_id = w.run_id and p.id < w.id and p.written_at is null and p.failed_at is null)
      order by w.id
      limit ${p.limit}
      for update skip locked)
    returning ${cols}`);

export const markWorkNoteWritten = async (db: Db, id: bigint): Promise<void> => {
  await db.query(
    sql.type(z.object({}))`update work_notes set written_at = now(), last_error = null where id = ${id} and written_at is null`,
  );
};

/** A failed attempt: try again after `delaySeconds`. */
export const scheduleWorkNoteRetry = async (db: Db, id: bigint, error: string, delaySeconds: number): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update work_notes set last_error = ${error.slice(0, 1000)}, next_attempt_at = now() + make_interval(secs => ${delaySeconds})
    where id = ${id} and written_at is null`);
};

/** Given up after the last attempt; kept (with the error) for the record. */
export const markWorkNoteFailed = async (db: Db, id: bigint, error: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update work_notes set last_error = ${error.slice(0, 1000)}, failed_at = now() where id = ${id} and written_at is null`);
};
