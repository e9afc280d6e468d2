import { sql } from 'slonik';
import { z } from 'zod';
import type { Refusal } from '../../domain/refusal.ts';
import type { Db } from './db.ts';

export type AuditEvent = {
  runId: string | null;
  actor: string;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  reason?: string | null;
  correlationId?: string | null;
  data?: Record<string, unknown>;
};

/** Append-only (a trigger forbids update/delete); written in the same transaction as the change it records. */
export const appendAudit = async (db: Db, e: AuditEvent): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into audit_events (run_id, actor, action, from_status, to_status, reason, correlation_id, data)
    values (${e.runId}, ${e.actor}, ${e.action}, ${e.fromStatus ?? null}, ${e.toStatus ?? null}, ${e.reason ?? null},
            ${e.correlationId ?? null}, ${sql.jsonb((e.data ?? {}) as never)})`);
};

/**
 * Records a "no" given to a person: who tried what (`<attempted>_refused`), the code and the text they saw,
 * and what it was about; the run and its correlation id when there is a run (a refused submission has none).
 * Returns the refusal, to be shown.
 */
export const appendRefusal = async (
  db: Db,
  p: {
    readonly actor: string;
    readonly attempted: string;
    readonly refusal: Refusal;
    readonly runId?: string | null;
    readonly correlationId?: string | null;
    readonly data?: Readonly<Record<string, unknown>>;
  },
): Promise<Refusal> => {
  const { refusal } = p;
  const field = refusal.field ?? (refusal.fields ? Object.keys(refusal.fields).join(',') : undefined);
  await appendAudit(db, {
    runId: p.runId ?? null,
    actor: p.actor,
    action: `${p.attempted}_refused`,
    reason: refusal.message,
    correlationId: p.correlationId ?? null,
    data: { code: refusal.code, ...(field ? { field } : {}), ...p.data },
  });
  return refusal;
};

const auditRow = z.object({
  id: z.bigint(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  reason: z.string().nullable(),
  correlation_id: z.string().nullable(),
});
export type AuditRow = z.infer<typeof auditRow>;

export const listRunAudit = async (db: Db, runId: string): Promise<readonly AuditRow[]> =>
  db.any(sql.type(auditRow)`
    select id, at, actor, action, from_status, to_status, reason, correlation_id
    from audit_events where run_id = ${runId} order by id`);

/** Whether the run's audit trail already has an event of this kind (e.g. a note owed once). */
export const hasAuditEvent = async (db: Db, runId: string, action: string): Promise<boolean> =>
  db.exists(sql.type(z.object({ x: z.number() }))`select 1 as x from audit_events where run_id = ${runId} and action = ${action}`);
