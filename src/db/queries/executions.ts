import { sql } from 'slonik';
import { z } from 'zod';
import { executionStatuses, type ExecutionStatus } from '../../domain/executionStatus.ts';
import type { RawCause } from '../../domain/failureCauses.ts';
import type { StatusCounts } from '../../domain/runOutcome.ts';
import type { Db } from './db.ts';

export type ExecutionTarget = { instanceId: string; accountId: string; region: string; partition: 'aws' | 'aws-us-gov' };

/** One row per instance per run, written in one statement. */
export const insertExecutions = async (db: Db, runId: string, scriptSha256: string, targets: readonly ExecutionTarget[]): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into executions (run_id, script_sha256, instance_id, account_id, region, partition)
    select ${runId}::uuid, ${scriptSha256}, t.* from ${sql.unnest(
      targets.map((t) => [t.instanceId, t.accountId, t.region, t.partition]),
      ['text', 'text', 'text', 'text'],
    )} as t(instance_id, account_id, region, partition)`);
};

const targetRow = z.object({
  instance_id: z.string(),
  account_id: z.string(),
  region: z.string(),
  partition: z.enum(['aws', 'aws-us-gov']),
});

export const listRunTargets = async (db: Db, runId: string): Promise<ExecutionTarget[]> => {
  const rows = await db.any(sql.type(targetRow)`
    select instance_id, account_id, region, partition from executions where run_id = ${runId} order by id`);
  return rows.map((r) => ({ instanceId: r.instance_id, accountId: r.account_id, region: r.region, partition: r.partition }));
};

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
      and e.status not in ('success', 'failed', 'timed_out', 'cancelled', 'cancel_unconfirmed', 'undeliverable', 'terminated', 'not_sent')`);
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
});
export type ExecutionRow = z.infer<typeof executionRow>;

/** Executions for a summary: failures first, bounded so a 5,000-instance run stays one message. */
export const listExecutionsForSummary = async (db: Db, runId: string, limit: number): Promise<readonly ExecutionRow[]> =>
  db.any(sql.type(executionRow)`
    select instance_id, account_id, region, partition, command_id, status, status_details, response_code,
           left(stdout, 2000) as stdout, stdout_truncated, left(stderr, 2000) as stderr, stderr_truncated, result, script_sha256,
           output_pruned_at
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
