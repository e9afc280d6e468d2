import { sql } from 'slonik';
import { z } from 'zod';
import { rolloutPolicySchema } from '../../domain/rolloutChoice.ts';
import { canTransition, runStatuses, terminalRunStatuses, unleasedRunStatuses, type RunStatus } from '../../domain/runStatus.ts';
import type { Db } from './db.ts';

export const runRow = z.object({
  id: z.string(),
  tool: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  script_sha256: z.string(),
  requester_id: z.string(),
  channel_id: z.string(),
  message_ts: z.string().nullable(),
  approval_channel_id: z.string(),
  approval_ts: z.string().nullable(),
  change_number: z.string(),
  status: z.enum(runStatuses),
  plan_digest: z.string(),
  approvals_required: z.number().int(),
  mutates: z.boolean(),
  target_count: z.number().int(),
  correlation_id: z.string(),
  created_at: z.number(),
  approval_expires_at: z.number(),
  approved_at: z.number().nullable(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  deadline_at: z.number().nullable(),
  lease_owner: z.string().nullable(),
  next_poll_at: z.number().nullable(),
  poll_round: z.number().int(),
  cancel_requested_by: z.string().nullable(),
  outcome: z.unknown().nullable(),
  /** The rollout policy the run was approved with (null: everything at once). */
  rollout: rolloutPolicySchema.nullable(),
  failures_accepted: z.number().int(),
  /** Why the run halted (the last halt), for its messages. */
  halt: z.unknown().nullable(),
  scheduled_for: z.number().nullable(),
  rerun_of: z.string().nullable(),
});
export type RunRow = z.infer<typeof runRow>;

const runColumns = sql.fragment`
  id, tool, action, params, script_sha256, requester_id, channel_id, message_ts, approval_channel_id, approval_ts,
  change_number, status, plan_digest, approvals_required, mutates, target_count, correlation_id, created_at,
  approval_expires_at, approved_at, started_at, finished_at, deadline_at, lease_owner, next_poll_at, poll_round,
  cancel_requested_by, outcome, rollout, failures_accepted, halt, scheduled_for, rerun_of`;

export type NewRun = {
  id: string;
  tool: string;
  action: string;
  params: Record<string, unknown>;
  scriptSha256: string;
  requesterId: string;
  channelId: string;
  approvalChannelId: string;
  changeNumber: string;
  planDigest: string;
  approvalsRequired: number;
  mutates: boolean;
  targetCount: number;
  correlationId: string;
  approvalExpiresAt: Date;
  /** The rollout policy (covered by the plan digest); null or absent: everything at once. */
  rollout?: Record<string, unknown> | null;
  /** The view submission the request came from (its re-delivery is the same request). */
  origin?: { readonly viewId: string; readonly viewHash: string };
  /** When the change window opens, if later than now (shown to approvers; set again at approval). */
  scheduledFor?: Date | null;
  /** The run whose failed instances this request targets ("Re-run failed"). */
  rerunOf?: string | null;
};

/** Inserts a pending run; null when a run from the same view submission (origin) already exists. */
export const insertRun = async (db: Db, r: NewRun): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`
    insert into runs (id, tool, action, params, script_sha256, requester_id, channel_id, approval_channel_id, change_number,
                      status, plan_digest, approvals_required, mutates, target_count, correlation_id, approval_expires_at,
                      origin_view_id, origin_view_hash, rollout, scheduled_for, rerun_of)
    values (${r.id}, ${r.tool}, ${r.action}, ${sql.jsonb(r.params as never)}, ${r.scriptSha256}, ${r.requesterId}, ${r.channelId},
            ${r.approvalChannelId}, ${r.changeNumber}, 'pending_approval', ${r.planDigest}, ${r.approvalsRequired}, ${r.mutates},
            ${r.targetCount}, ${r.correlationId}, ${sql.timestamp(r.approvalExpiresAt)}, ${r.origin?.viewId ?? null}, ${r.origin?.viewHash ?? null},
            ${r.rollout ? sql.jsonb(r.rollout as never) : null}::jsonb, ${r.scheduledFor ? sql.timestamp(r.scheduledFor) : null}, ${r.rerunOf ?? null})
    on conflict (origin_view_id, origin_view_hash) do nothing
    returning ${runColumns}`);

/** The run a view submission already created, if any (Slack re-delivers a submission it got no answer for). */
export const findRunByOrigin = async (db: Db, viewId: string, viewHash: string): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`select ${runColumns} from runs where origin_view_id = ${viewId} and origin_view_hash = ${viewHash}`);

/** Requests `requesterId` submitted in the last minute (the per-person submission limit). */
export const countRecentSubmissions = async (db: Db, requesterId: string): Promise<number> =>
  db.oneFirst(sql.type(z.object({ n: z.number().int() }))`
    select count(*)::int as n from runs where requester_id = ${requesterId} and created_at > now() - interval '1 minute'`);

/**
 * Serialises one person's submissions across replicas until the transaction ends, so the limit and
 * the re-delivery check are decided on what the others committed.
 */
export const lockRequester = async (db: Db, requesterId: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`select pg_advisory_xact_lock(hashtextextended(${`submit:${requesterId}`}, 0))`);
};

export const getRun = async (db: Db, id: string): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`select ${runColumns} from runs where id = ${id}`);

/** Locks the run row for the rest of the transaction (approvals serialise on it). */
export const lockRun = async (db: Db, id: string): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`select ${runColumns} from runs where id = ${id} for update`);

export const setRunMessage = async (db: Db, id: string, channelId: string, ts: string): Promise<void> => {
  await db.query(
    sql.type(z.object({}))`update runs set channel_id = ${channelId}, message_ts = ${ts}, updated_at = now() where id = ${id}`,
  );
};

export const setApprovalMessage = async (db: Db, id: string, ts: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`update runs set approval_ts = ${ts}, updated_at = now() where id = ${id}`);
};

/**
 * The SET part of every run status change, checked against the domain's state machine (the one list of
 * legal moves; asking for another one is a bug, a fault). Guard the row on `from` in the WHERE clause.
 */
const moveTo = (from: readonly RunStatus[], to: RunStatus) => {
  const illegal = from.filter((f) => !canTransition(f, to));
  if (illegal.length > 0) throw new Error(`illegal run transition ${illegal.join('|')} → ${to}`);
  return sql.fragment`
      status = ${to},
      updated_at = now(),
      approved_at = case when ${to} in ('approved', 'scheduled') then coalesce(approved_at, now()) else approved_at end,
      started_at = case when ${to} = 'running' then coalesce(started_at, now()) else started_at end,
      finished_at = case when ${to} = any(${sql.array([...terminalRunStatuses], 'text')}) then now() else finished_at end`;
};

/**
 * The guarded transition: changes the row only if it is still in `from`. Returns the new row, or null
 * when somebody else moved it first (a second click, another replica) — then nothing happened.
 */
export const transitionRun = async (
  db: Db,
  id: string,
  from: readonly RunStatus[],
  to: RunStatus,
  extra: {
    owner?: string;
    outcome?: Record<string, unknown>;
    cancelRequestedBy?: string;
    /** Why a rollout halted (to `halted`). */
    halt?: Record<string, unknown>;
    /** Failures a Continue accepts (halted → running). */
    failuresAccepted?: number;
    /** When a scheduled run starts (to `scheduled`, or a moved window). */
    scheduledFor?: Date;
  } = {},
): Promise<RunRow | null> => {
  return db.maybeOne(sql.type(runRow)`
    update runs set
      ${moveTo(from, to)},
      lease_owner = case when ${to} = any(${sql.array([...unleasedRunStatuses], 'text')}) then null else lease_owner end,
      lease_expires_at = case when ${to} = any(${sql.array([...unleasedRunStatuses], 'text')}) then null else lease_expires_at end,
      scheduled_for = coalesce(${extra.scheduledFor ? sql.timestamp(extra.scheduledFor) : null}::timestamptz, scheduled_for),
      outcome = coalesce(${extra.outcome ? sql.jsonb(extra.outcome as never) : null}::jsonb, outcome),
      cancel_requested_by = coalesce(${extra.cancelRequestedBy ?? null}, cancel_requested_by),
      halt = coalesce(${extra.halt ? sql.jsonb(extra.halt as never) : null}::jsonb, halt),
      failures_accepted = coalesce(${extra.failuresAccepted ?? null}::int, failures_accepted)
    where id = ${id}
      and status = any(${sql.array([...from], 'text')})
      and (${extra.owner ?? null}::text is null or lease_owner = ${extra.owner ?? null})
    returning ${runColumns}`);
};

/**
 * Claims work for this replica: approved runs (moving them to running) and running runs whose lease
 * expired (a dead replica's). SKIP LOCKED lets replicas claim concurrently without waiting on each other.
 */
export const claimRuns = async (
  db: Db,
  p: { owner: string; leaseSeconds: number; limit: number; exclude: readonly string[] },
): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    update runs set
      ${moveTo(['approved'], 'running')},
      lease_owner = ${p.owner},
      lease_expires_at = now() + make_interval(secs => ${p.leaseSeconds})
    where id in (
      select id from runs
      where (status = 'approved' or (status = 'running' and (lease_expires_at is null or lease_expires_at < now())))
        and id <> all(${sql.array([...p.exclude], 'uuid')})
      order by coalesce(approved_at, created_at)
      limit ${p.limit}
      for update skip locked)
    returning ${runColumns}`);

/**
 * Claims scheduled runs to look at (SKIP LOCKED, a short lease, so one replica at a time and a dead one's
 * claim lapses): those whose window start has come (unless a freeze is on) and those due for their
 * periodic change check. The caller asks ServiceNow, then starts, reschedules or ends each (guarded on the lease).
 */
export const claimScheduledRuns = async (
  db: Db,
  p: { owner: string; leaseSeconds: number; limit: number; frozen: boolean },
): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    update runs set lease_owner = ${p.owner}, lease_expires_at = now() + make_interval(secs => ${p.leaseSeconds})
    where id in (
      select id from runs
      where status = 'scheduled' and (lease_expires_at is null or lease_expires_at < now())
        and ((scheduled_for <= now() and not ${p.frozen}) or next_poll_at is null or next_poll_at <= now())
      order by scheduled_for
      limit ${p.limit}
      for update skip locked)
    returning ${runColumns}`);

/** A scheduled run keeps waiting: its (possibly moved) window start and its next change check; the claim is given back. */
export const rescheduleRun = async (
  db: Db,
  p: { id: string; owner: string; scheduledFor: Date | null; nextCheckAt: Date },
): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`
    update runs set
      scheduled_for = coalesce(${p.scheduledFor ? sql.timestamp(p.scheduledFor) : null}::timestamptz, scheduled_for),
      next_poll_at = ${sql.timestamp(p.nextCheckAt)}, lease_owner = null, lease_expires_at = null, updated_at = now()
    where id = ${p.id} and status = 'scheduled' and lease_owner = ${p.owner}
    returning ${runColumns}`);

/** Heartbeat: extends the leases this replica still holds and returns those ids (a lost one must be dropped). */
export const renewLeases = async (db: Db, owner: string, ids: readonly string[], leaseSeconds: number): Promise<readonly string[]> => {
  if (ids.length === 0) return [];
  return db.anyFirst(sql.type(z.object({ id: z.string() }))`
    update runs set lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = any(${sql.array([...ids], 'uuid')}) and lease_owner = ${owner} and status = 'running'
    returning id`);
};

/** Gives a run back (e.g. at shutdown) so another replica can take it over at once. */
export const releaseRun = async (db: Db, id: string, owner: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update runs set lease_owner = null, lease_expires_at = null where id = ${id} and lease_owner = ${owner}`);
};

/** A rollout releases a wave: the run's deadline moves to cover it (never earlier). */
export const extendRunDeadline = async (db: Db, id: string, deadline: Date): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update runs set deadline_at = greatest(deadline_at, ${sql.timestamp(deadline)}) where id = ${id} and status = 'running'`);
};

export const setRunDeadline = async (db: Db, id: string, deadline: Date): Promise<void> => {
  await db.query(sql.type(z.object({}))`update runs set deadline_at = coalesce(deadline_at, ${sql.timestamp(deadline)}) where id = ${id}`);
};

export const recordPollRound = async (db: Db, id: string, nextPollAt: Date): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update runs set poll_round = poll_round + 1, next_poll_at = ${sql.timestamp(nextPollAt)} where id = ${id}`);
};

/** Pending requests past their approval deadline, moved to expired (guarded). */
export const expireRuns = async (db: Db): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    update runs set ${moveTo(['pending_approval'], 'expired')}
    where status = 'pending_approval' and approval_expires_at < now()
    returning ${runColumns}`);

export const listRunsByRequester = async (db: Db, requesterId: string, limit: number): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    select ${runColumns} from runs where requester_id = ${requesterId} order by created_at desc limit ${limit}`);

/**
 * Asks the executor to stop an approved or running run (guarded: only once, only while it can still
 * stop). Returns the row, or null when the run had already moved on or someone asked first.
 */
export const requestRunCancel = async (db: Db, id: string, by: string): Promise<RunRow | null> =>
  db.maybeOne(sql.type(runRow)`
    update runs set cancel_requested_by = ${by}, updated_at = now()
    where id = ${id} and status in ('approved', 'running') and cancel_requested_by is null
    returning ${runColumns}`);

/** The newest runs, everyone's (/ops history). */
export const listRecentRuns = async (db: Db, limit: number): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`select ${runColumns} from runs order by created_at desc limit ${limit}`);

/** The newest runs requested by `requesterId` or of one of `tools` (/ops history for a non-admin). */
export const listRecentRunsVisibleTo = async (
  db: Db,
  scope: { readonly requesterId: string; readonly tools: readonly string[] },
  limit: number,
): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    select ${runColumns} from runs
    where requester_id = ${scope.requesterId} or tool = any(${sql.array([...scope.tools], 'text')})
    order by created_at desc limit ${limit}`);

const asUuid = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

/**
 * Runs whose id starts with `prefix` (a person types the first characters of a run id); at most `limit`.
 * A range on the primary key (prefix padded with 0s … fs), so it stays an index lookup however many runs there are.
 */
export const findRunsByIdPrefix = async (db: Db, prefix: string, limit: number): Promise<readonly RunRow[]> => {
  const hex = prefix
    .toLowerCase()
    .replace(/[^0-9a-f]/gu, '')
    .slice(0, 32);
  if (hex.length === 0) return [];
  return db.any(sql.type(runRow)`
    select ${runColumns} from runs
    where id between ${asUuid(hex.padEnd(32, '0'))}::uuid and ${asUuid(hex.padEnd(32, 'f'))}::uuid
    order by created_at desc limit ${limit}`);
};

/** Pending, unexpired requests by someone else that `userId` has not approved yet (App Home). */
export const listPendingApprovalsAwaiting = async (db: Db, userId: string, limit: number): Promise<readonly RunRow[]> =>
  db.any(sql.type(runRow)`
    select ${runColumns} from runs r
    where r.status = 'pending_approval' and r.approval_expires_at > now() and r.requester_id <> ${userId}
      and not exists (select 1 from approvals a where a.run_id = r.id and a.approver_id = ${userId})
    order by r.created_at desc limit ${limit}`);
