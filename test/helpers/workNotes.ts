import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const workNote = z.object({
  kind: z.enum(['started', 'finished']),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  written_at: z.number().nullable(),
  failed_at: z.number().nullable(),
});

/** A run's queued work notes, oldest first: what tests assert on (the bot itself only claims due ones). */
export const listWorkNotes = async (db: CommonQueryMethods, runId: string): Promise<readonly z.infer<typeof workNote>[]> =>
  db.any(sql.type(workNote)`select kind, attempts, last_error, written_at, failed_at from work_notes where run_id = ${runId} order by id`);
