import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

/** One decision per person per run (unique): a double click inserts nothing the second time. */
export const insertApproval = async (
  db: Db,
  a: { runId: string; approverId: string; decision: 'approved' | 'rejected'; reason: string | null; planDigest: string },
): Promise<boolean> => {
  const row = await db.maybeOne(sql.type(z.object({ id: z.bigint() }))`
    insert into approvals (run_id, approver_id, decision, reason, plan_digest)
    values (${a.runId}, ${a.approverId}, ${a.decision}, ${a.reason}, ${a.planDigest})
    on conflict (run_id, approver_id) do nothing
    returning id`);
  return row !== null;
};

export const listApprovers = async (db: Db, runId: string): Promise<readonly string[]> =>
  db.anyFirst(sql.type(z.object({ approver_id: z.string() }))`
    select approver_id from approvals where run_id = ${runId} and decision = 'approved' order by decided_at`);

/** The plan digests the run's approvers approved (each approval binds to one). */
export const listApprovedDigests = async (db: Db, runId: string): Promise<readonly string[]> =>
  db.anyFirst(sql.type(z.object({ plan_digest: z.string() }))`
    select plan_digest from approvals where run_id = ${runId} and decision = 'approved'`);
