import { sql } from 'slonik';
import { z } from 'zod';
import { executionStatuses } from '../../domain/executionStatus.ts';
import type { ResultRow } from '../../domain/resultsCsv.ts';
import type { TargetListRow } from '../../domain/targetListCsv.ts';
import type { Db } from './db.ts';

const plannedRow = z.object({
  instance_id: z.string(),
  computer_name: z.string().nullable(),
  account_id: z.string(),
  region: z.string(),
  partition: z.string(),
  platform: z.string().nullable(),
  ping_status: z.string().nullable(),
});

/** The frozen plan's targets with what pre-flight saw of them, in plan order (one statement). */
export const listPlannedTargets = async (db: Db, runId: string): Promise<TargetListRow[]> => {
  const rows = await db.any(sql.type(plannedRow)`
    select instance_id, computer_name, account_id, region, partition, platform, ping_status
    from executions where run_id = ${runId} order by id`);
  return rows.map((r) => ({
    instanceId: r.instance_id,
    name: r.computer_name,
    accountId: r.account_id,
    region: r.region,
    partition: r.partition,
    platform: r.platform,
    pingStatus: r.ping_status,
    excluded: null,
  }));
};

const resultRow = z.object({
  instance_id: z.string(),
  computer_name: z.string().nullable(),
  account_id: z.string(),
  region: z.string(),
  partition: z.string(),
  wave: z.number().int().nullable(),
  status: z.enum(executionStatuses),
  status_details: z.string().nullable(),
  result_status: z.string().nullable(),
  summary: z.string().nullable(),
  response_code: z.number().int().nullable(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
});

/** Every instance's outcome in a run, in plan order (one statement; no output text, so 5,000 rows stay small). */
export const listResultRows = async (db: Db, runId: string): Promise<ResultRow[]> => {
  const rows = await db.any(sql.type(resultRow)`
    select instance_id, computer_name, account_id, region, partition, wave, status, status_details,
           case when jsonb_typeof(result -> 'status') = 'string' then result ->> 'status' end as result_status,
           case when jsonb_typeof(result -> 'summary') = 'string' then result ->> 'summary' end as summary,
           response_code, started_at, finished_at, stdout_truncated, stderr_truncated
    from executions where run_id = ${runId} order by id`);
  return rows.map((r) => ({
    instanceId: r.instance_id,
    name: r.computer_name,
    accountId: r.account_id,
    region: r.region,
    partition: r.partition,
    wave: r.wave,
    status: r.status,
    statusDetails: r.status_details,
    resultStatus: r.result_status,
    summary: r.summary,
    responseCode: r.response_code,
    startedAt: r.started_at === null ? null : new Date(r.started_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
    stdoutTruncated: r.stdout_truncated,
    stderrTruncated: r.stderr_truncated,
  }));
};

const outputRow = z.object({
  instance_id: z.string(),
  computer_name: z.string().nullable(),
  account_id: z.string(),
  region: z.string(),
  status: z.enum(executionStatuses),
  status_details: z.string().nullable(),
  response_code: z.number().int().nullable(),
  stdout: z.string().nullable(),
  stdout_truncated: z.boolean(),
  stderr: z.string().nullable(),
  stderr_truncated: z.boolean(),
  output_pruned: z.boolean(),
});
export type ExecutionOutput = z.infer<typeof outputRow>;

/** One instance's stored stdout/stderr in a run ("View output"), or null when the run has no such instance. */
export const findExecutionOutput = async (db: Db, runId: string, instanceId: string): Promise<ExecutionOutput | null> =>
  db.maybeOne(sql.type(outputRow)`
    select instance_id, computer_name, account_id, region, status, status_details, response_code,
           stdout, stdout_truncated, stderr, stderr_truncated, output_pruned_at is not null as output_pruned
    from executions where run_id = ${runId} and instance_id = ${instanceId}`);

const pickRow = z.object({ instance_id: z.string(), computer_name: z.string().nullable(), status: z.enum(executionStatuses) });
export type InstancePick = z.infer<typeof pickRow>;

/**
 * A run's instances for the "View output" picker: matching the typed text by id or name, unsuccessful ones
 * first, at most `limit` (Slack shows ≤ 100 options), so it answers quickly at 5,000 instances.
 */
export const searchRunInstances = async (db: Db, runId: string, text: string, limit: number): Promise<readonly InstancePick[]> => {
  const like = `%${text
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;
  return db.any(sql.type(pickRow)`
    select instance_id, computer_name, status from executions
    where run_id = ${runId} and (lower(instance_id) like ${like} or lower(coalesce(computer_name, '')) like ${like})
    order by (status = 'success'), instance_id
    limit ${limit}`);
};
