import { sql } from 'slonik';
import { z } from 'zod';
import { executionStatuses, terminalExecutionStatuses, type ExecutionStatus } from '../../domain/executionStatus.ts';
import type { RawCause } from '../../domain/failureCauses.ts';
import type { StatusCounts } from '../../domain/runOutcome.ts';
import type { Db } from './db.ts';
import { partitions, type Partition } from '../../domain/partition.ts';

export type ExecutionTarget = {
  instanceId: string;
  accountId: string;
  region: string;
  partition: Partition;
  /** The rollout wave (absent: the run has no rollout). */
  wave?: number | null;
};

/** What pre-flight saw of a target when the plan was frozen (shown in the target list, not part of the digest). */
export type TargetSnapshot = { computerName?: string | null; platform?: string | null; pingStatus?: string | null };

/** One row per instance per run, written in one statement. */
export const insertExecutions = async (
  db: Db,
  runId: string,
  scriptSha256: string,
  targets: readonly (ExecutionTarget & TargetSnapshot)[],
): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into executions (run_id, script_sha256, instance_id, account_id, region, partition, computer_name, platform, ping_status, wave)
    select ${runId}::uuid, ${scriptSha256}, t.* from ${sql.unnest(
      targets.map((t) => [
        t.instanceId,
        t.accountId,
        t.region,
        t.partition,
        t.computerName ?? null,
        t.platform ?? null,
        t.pingStatus ?? null,
        t.wave ?? null,
      ]),
      ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'int4'],
    )} as t(instance_id, account_id, region, partition, computer_name, platform, ping_status, wave)`);
};

const targetRow = z.object({
  instance_id: z.string(),
  account_id: z.string(),
  region: z.string(),
  partition: z.enum(partitions),
  wave: z.number().int().nullable(),
});

export const listRunTargets = async (db: Db, runId: string): Promise<ExecutionTarget[]> => {
  const rows = await db.any(sql.type(targetRow)`
    select instance_id, account_id, region, partition, wave from executions where run_id = ${runId} order by id`);
  return rows.map((r) => ({ instanceId: r.instance_id, accountId: r.account_id, region: r.region, partition: r.partition, wave: r.wave }));
};

/**
 * The rollout's tally over the whole run (every account, region and partition): executions that ended, and
 * those that failed: SSM Failed/TimedOut/Undeliverable (and Terminated, a Failed invocation) or a
 * PCM_RESULT status of `fail` whatever SSM said; and the canary's (wave 0) size and hosts that ended
 * without succeeding (one statement).
 */
export const countRolloutTally = async (
  db: Db,
  runId: string,
): Promise<{ finished: number; failed: number; canaryTotal: number; canaryUnsuccessful: number }> =>
  db.one(sql.type(
    z.object({ finished: z.number().int(), failed: z.number().int(), canaryTotal: z.number().int(), canaryUnsuccessful: z.number().int() }),
  )`
    select
      count(*) filter (where status not in ('pending', 'sent', 'in_progress', 'not_sent'))::int as finished,
      count(*) filter (where status in ('failed', 'timed_out', 'undeliverable', 'terminated') or result->>'status' = 'fail')::int as failed,
      count(*) filter (where wave = 0)::int as "canaryTotal",
      count(*) filter (where wave = 0 and status not in ('pending', 'sent', 'in_progress')
                         and (status <> 'success' or coalesce(result->>'status', '') = 'fail'))::int as "canaryUnsuccessful"
    from executions where run_id = ${runId}`);

export type InvocationUpdate = {
  commandId: string;
  instanceId: string;
  status: ExecutionStatus;
  ssmStatus: string | null;
  statusDetails: string | null;
  responseCode: number | null;
  stdout: string | null;
  stdoutTruncated: boolean;
  stderr: string | null;
  stderrTruncated: boolean;
  result: unknown;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Where SSM also wrote the output (S3 / CloudWatch Logs), when the action asks for it. */
  outputLocation?: Record<string, unknown> | null;
};

/**
 * Applies one page of invocation results in one statement. Guarded: a terminal execution never
 * changes again, so a late or repeated page is harmless.
 */
export const applyInvocationUpdates = async (db: Db, updates: readonly InvocationUpdate[]): Promise<number> => {
  if (updates.length === 0) return 0;
  const result = await db.query(sql.type(z.object({}))`
    update executions e set
      status = u.status, ssm_status = u.ssm_status, status_details = u.status_details, response_code = u.response_code,
      stdout = coalesce(u.stdout, e.stdout), stdout_truncated = u.stdout_truncated,
      stderr = coalesce(u.stderr, e.stderr), stderr_truncated = u.stderr_truncated,
      result = coalesce(u.result::jsonb, e.result),
      started_at = coalesce(e.started_at, u.started_at), finished_at = coalesce(u.finished_at, e.finished_at),
      output_location = coalesce(u.output_location::jsonb, e.output_location),
      updated_at = now()
    from ${sql.unnest(
      updates.map((u) => [
        u.commandId,
        u.instanceId,
        u.status,
        u.ssmStatus,
        u.statusDetails,
        u.responseCode,
        u.stdout,
        u.stdoutTruncated,
        u.stderr,
        u.stderrTruncated,
        u.result === undefined || u.result === null ? null : JSON.stringify(u.result),
        u.startedAt ? u.startedAt.toISOString() : null,
        u.finishedAt ? u.finishedAt.toISOString() : null,
        u.outputLocation ? JSON.stringify(u.outputLocation) : null,
      ]),
      ['text', 'text', 'text', 'text', 'text', 'int4', 'text', 'bool', 'text', 'bool', 'text', 'timestamptz', 'timestamptz', 'text'],
    )} as u(command_id, instance_id, status, ssm_status, status_details, response_code, stdout, stdout_truncated, stderr,
            stderr_truncated, result, started_at, finished_at, output_location)
    where e.command_id = u.command_id and e.instance_id = u.instance_id
      and e.status <> all(${sql.array([...terminalExecutionStatuses], 'text')})`);
  return result.rowCount;
};

/** The executions of these chunks that have not finished yet, per chunk (what a collection still has to read). */
export const listOpenExecutions = async (db: Db, chunkIds: readonly string[]): Promise<ReadonlyMap<string, ReadonlySet<string>>> => {
  const open = new Map<string, Set<string>>();
  if (chunkIds.length === 0) return open;
  const rows = await db.any(sql.type(z.object({ chunk_id: z.string(), instance_id: z.string() }))`
    select chunk_id, instance_id from executions
    where chunk_id = any(${sql.array([...chunkIds], 'uuid')}) and status in ('pending', 'sent', 'in_progress')`);
  for (const r of rows) {
    const set = open.get(r.chunk_id) ?? new Set<string>();
    set.add(r.instance_id);
    open.set(r.chunk_id, set);
  }
  return open;
};

/** Ends named executions of one command that have not finished (e.g. SSM listed no invocation for them). */
export const finishExecutionsOfCommand = async (
  db: Db,
  commandId: string,
  instanceIds: readonly string[],
  status: ExecutionStatus,
  details: string,
): Promise<number> => {
  if (instanceIds.length === 0) return 0;
  const result = await db.query(sql.type(z.object({}))`
    update executions set status = ${status}, status_details = ${details}, finished_at = now(), updated_at = now()
    where command_id = ${commandId} and instance_id = any(${sql.array([...instanceIds], 'text')})
      and status in ('pending', 'sent', 'in_progress')`);
  return result.rowCount;
};

/** Ends every execution of a run that has not finished (deadline, cancel) with the given status. */
export const finishOpenExecutions = async (db: Db, runId: string, status: ExecutionStatus, details: string): Promise<number> => {
  const result = await db.query(sql.type(z.object({}))`
    update executions set status = ${status}, status_details = ${details}, finished_at = now(), updated_at = now()
    where run_id = ${runId} and status in ('pending', 'sent', 'in_progress')`);
  return result.rowCount;
};

export const countExecutionsByStatus = async (db: Db, runId: string): Promise<StatusCounts> => {
  const rows = await db.any(sql.type(z.object({ status: z.enum(executionStatuses), n: z.number().int() }))`
    select status, count(*)::int as n from executions where run_id = ${runId} group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};

const executionRow = z.object({
  instance_id: z.string(),
  account_id: z.string(),
  region: z.string(),
  partition: z.string(),
  command_id: z.string().nullable(),
  status: z.enum(executionStatuses),
  status_details: z.string().nullable(),
  response_code: z.number().int().nullable(),
  stdout: z.string().nullable(),
  stdout_truncated: z.boolean(),
  stderr: z.string().nullable(),
  stderr_truncated: z.boolean(),
  result: z.unknown().nullable(),
  script_sha256: z.string(),
  /** Set when retention removed stdout/stderr (OUTPUT_RETENTION_DAYS): the output existed, it is gone on purpose. */
  output_pruned_at: z.number().nullable(),
  /** The rollout wave (null: the run had no rollout). */
  wave: z.number().int().nullable(),
});
export type ExecutionRow = z.infer<typeof executionRow>;

/** Executions for a summary: failures first, bounded so a 5,000-instance run stays one message. */
export const listExecutionsForSummary = async (db: Db, runId: string, limit: number): Promise<readonly ExecutionRow[]> =>
  db.any(sql.type(executionRow)`
    select instance_id, account_id, region, partition, command_id, status, status_details, response_code,
           left(stdout, 2000) as stdout, stdout_truncated, left(stderr, 2000) as stderr, stderr_truncated, result, script_sha256,
           output_pruned_at, wave
    from executions where run_id = ${runId}
    order by (status = 'success'), instance_id
    limit ${limit}`);

/** Instances on which `tool/action` succeeded under `changeNumber` (workflow linkage). */
export const findInstancesWithSuccess = async (
  db: Db,
  p: { tool: string; action: string; changeNumber: string; instanceIds: readonly string[] },
): Promise<readonly string[]> =>
  db.anyFirst(sql.type(z.object({ instance_id: z.string() }))`
    select distinct e.instance_id from executions e join runs r on r.id = e.run_id
    where r.tool = ${p.tool} and r.action = ${p.action} and r.change_number = ${p.changeNumber}
      and e.status = 'success' and e.instance_id = any(${sql.array([...p.instanceIds], 'text')})`);

const waveTally = z.object({ wave: z.number().int(), total: z.number().int(), finished: z.number().int(), failed: z.number().int() });
export type WaveTally = z.infer<typeof waveTally>;

/** Per rollout wave: instances, how many ended and how many failed (the rollout's definition of a failure; one statement). */
export const countExecutionsByWave = async (db: Db, runId: string): Promise<readonly WaveTally[]> =>
  db.any(sql.type(waveTally)`
    select wave, count(*)::int as total,
           count(*) filter (where status not in ('pending', 'sent', 'in_progress', 'not_sent'))::int as finished,
           count(*) filter (where status in ('failed', 'timed_out', 'undeliverable', 'terminated') or result->>'status' = 'fail')::int as failed
    from executions where run_id = ${runId} and wave is not null group by wave order by wave`);

/**
 * Failed executions of a run counted per status and raw cause (the PCM_RESULT summary, else SSM's status
 * details), for grouping by cause; one row per distinct text, so a 10,000-instance run stays a small read.
 */
export const countFailureCauses = async (db: Db, runId: string, statuses: readonly ExecutionStatus[]): Promise<readonly RawCause[]> =>
  db.any(sql.type(z.object({ status: z.string(), cause: z.string().nullable(), count: z.number().int() }))`
    select status, coalesce(result->>'summary', status_details) as cause, count(*)::int as count
    from executions where run_id = ${runId} and status = any(${sql.array([...statuses], 'text')})
    group by 1, 2`);

/** A run's failed executions with their cause text (to pick one cause group's instances for a re-run). */
export const listFailedExecutions = async (
  db: Db,
  runId: string,
  statuses: readonly ExecutionStatus[],
): Promise<readonly { instanceId: string; status: string; cause: string | null }[]> => {
  const rows = await db.any(sql.type(z.object({ instance_id: z.string(), status: z.string(), cause: z.string().nullable() }))`
    select instance_id, status, coalesce(result->>'summary', status_details) as cause
    from executions where run_id = ${runId} and status = any(${sql.array([...statuses], 'text')})
    order by id`);
  return rows.map((r) => ({ instanceId: r.instance_id, status: r.status, cause: r.cause }));
};
