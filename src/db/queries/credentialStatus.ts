import { sql } from 'slonik';
import { z } from 'zod';
import type { CredentialCheck, CredentialErrorKind, CredentialHealth, CredentialStatus } from '../../domain/credentialStatus.ts';
import type { Db } from './db.ts';

const health = z.enum(['ok', 'warning', 'failing']);
const statusRow = z.object({
  scope_kind: z.enum(['partition', 'account']),
  scope_id: z.string(),
  partition: z.string(),
  health,
  error_kind: z.string().nullable(),
  error_detail: z.string().nullable(),
  expires_at: z.coerce.date().nullable(),
  since: z.coerce.date(),
  checked_at: z.coerce.date(),
});

const toStatus = (r: z.infer<typeof statusRow>): CredentialStatus => ({
  kind: r.scope_kind,
  id: r.scope_id,
  partition: r.partition,
  health: r.health,
  errorKind: r.error_kind as CredentialErrorKind | null,
  detail: r.error_detail,
  expiresAt: r.expires_at,
  since: r.since,
  checkedAt: r.checked_at,
});

export type RecordedCheck = { readonly status: CredentialStatus; readonly previous: CredentialHealth | null };

/**
 * Records one check. One statement: the row lock of the upsert makes the health it replaced (`previous`) exact
 * even when several replicas check at once, so a transition is reported by exactly one of them.
 */
export const recordCredentialCheck = async (db: Db, check: CredentialCheck): Promise<RecordedCheck> => {
  const row = await db.one(sql.type(statusRow.extend({ previous_health: health.nullable() }))`
    insert into credential_status (scope_kind, scope_id, partition, health, previous_health, error_kind, error_detail, expires_at)
    values (${check.kind}, ${check.id}, ${check.partition}, ${check.health}, null, ${check.errorKind}, ${check.detail}, ${check.expiresAt?.toISOString() ?? null})
    on conflict (scope_kind, scope_id) do update set
      previous_health = credential_status.health,
      health = excluded.health, error_kind = excluded.error_kind, error_detail = excluded.error_detail,
      expires_at = excluded.expires_at, checked_at = now(),
      since = case when credential_status.health = excluded.health then credential_status.since else now() end
    returning scope_kind, scope_id, partition, health, previous_health, error_kind, error_detail, expires_at, since, checked_at`);
  return { status: toStatus(row), previous: row.previous_health };
};

/** Every scope's last recorded status: partitions first, then accounts. */
export const listCredentialStatus = async (db: Db): Promise<CredentialStatus[]> =>
  (
    await db.any(sql.type(statusRow)`
    select scope_kind, scope_id, partition, health, error_kind, error_detail, expires_at, since, checked_at
    from credential_status order by scope_kind desc, partition, scope_id`)
  ).map(toStatus);
