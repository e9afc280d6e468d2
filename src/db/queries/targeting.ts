import { sql } from 'slonik';
import { terminalExecutionStatuses } from '../../domain/executionStatus.ts';
import { z } from 'zod';
import type { ActiveLock } from '../../domain/preflight.ts';
import { activeRunStatuses } from '../../domain/runStatus.ts';
import type { StepOutcome } from '../../domain/targetSelectors.ts';
import type { Db } from './db.ts';
import { partitions, type Partition } from '../../domain/partition.ts';

export type StepInstance = { instanceId: string; accountId: string; region: string; partition: Partition };

const stepRow = z.object({ instance_id: z.string(), account_id: z.string(), region: z.string(), partition: z.enum(partitions) });

/**
 * "From a previous step under the same change": instances where `tool/action` succeeded (any success,
 * like the workflow linkage) or whose latest finished attempt failed, under `changeNumber`.
 */
export const findInstancesByStepOutcome = async (
  db: Db,
  p: { tool: string; action: string; changeNumber: string; outcome: StepOutcome },
): Promise<StepInstance[]> => {
  const query =
    p.outcome === 'success'
      ? sql.type(stepRow)`
        select distinct on (e.instance_id) e.instance_id, e.account_id, e.region, e.partition
        from runs r join executions e on e.run_id = r.id
        where r.tool = ${p.tool} and r.action = ${p.action} and r.change_number = ${p.changeNumber} and e.status = 'success'
        order by e.instance_id, e.id desc`
      : sql.type(stepRow)`
        select instance_id, account_id, region, partition from (
          select distinct on (e.instance_id) e.instance_id, e.account_id, e.region, e.partition, e.status
          from runs r join executions e on e.run_id = r.id
          where r.tool = ${p.tool} and r.action = ${p.action} and r.change_number = ${p.changeNumber}
            and e.status in ('success', 'failed', 'timed_out', 'undeliverable', 'terminated')
          order by e.instance_id, e.id desc) latest
        where status <> 'success'`;
  const rows = await db.any(query);
  return rows.map((r) => ({ instanceId: r.instance_id, accountId: r.account_id, region: r.region, partition: r.partition }));
};

const lockRow = z.object({ instance_id: z.string(), run_id: z.string(), tool: z.string(), action: z.string(), requester_id: z.string() });

/** Which of `instanceIds` an active (pending, approved, running or halted) mutating run targets. */
export const findActiveMutatingLocks = async (db: Db, instanceIds: readonly string[]): Promise<ActiveLock[]> => {
  if (instanceIds.length === 0) return [];
  const rows = await db.any(sql.type(lockRow)`
    select distinct on (e.instance_id) e.instance_id, r.id::text as run_id, r.tool, r.action, r.requester_id
    from runs r join executions e on e.run_id = r.id
    where r.mutates and r.status = any(${sql.array([...activeRunStatuses], 'text')})
      and e.instance_id = any(${sql.array([...instanceIds], 'text')})
      -- A halted rollout waits for a person: it holds the hosts it has yet to touch, not those it finished
      -- (so the failed ones can be re-run meanwhile).
      and (r.status <> 'halted' or not e.status = any(${sql.array([...terminalExecutionStatuses], 'text')}))
    order by e.instance_id, r.created_at`);
  return rows.map((r) => ({ instanceId: r.instance_id, runId: r.run_id, tool: r.tool, action: r.action, requesterId: r.requester_id }));
};

/** Serialises mutating submissions until the transaction ends, so two cannot both take the same hosts. */
export const lockMutatingSubmissions = async (db: Db): Promise<void> => {
  await db.query(sql.type(z.object({}))`select pg_advisory_xact_lock(hashtextextended('submit:mutating-targets', 0))`);
};

/** The selectors (as typed) and the pre-flight a run was planned from, for the record and the approval message. */
export const setRunTargeting = async (
  db: Db,
  runId: string,
  targeting: { selectors: readonly string[]; scope: unknown; warnings: readonly string[]; summary: unknown; excluded: readonly unknown[] },
): Promise<void> => {
  const { selectors, ...preflight } = targeting;
  await db.query(sql.type(z.object({}))`
    update runs set target_selectors = ${sql.jsonb([...selectors])}, preflight = ${sql.jsonb(preflight as never)} where id = ${runId}`);
};

export const runTargetingSchema = z.object({
  selectors: z.array(z.string()),
  preflight: z
    .object({
      summary: z.object({
        eligible: z.number(),
        excluded: z.number(),
        byScope: z.array(
          z.object({ partition: z.string(), accountId: z.string(), region: z.string(), eligible: z.number(), excluded: z.number() }),
        ),
        byPlatform: z.array(z.object({ platform: z.string(), count: z.number() })),
        byReason: z.record(z.string(), z.number()),
      }),
      excluded: z.array(z.object({ ref: z.string(), reason: z.string(), detail: z.string() }).loose()),
      warnings: z.array(z.string()),
    })
    .loose(),
});
export type RunTargeting = z.infer<typeof runTargetingSchema>;

/** What a run was planned from (null for runs older than fleet targeting). */
export const getRunTargeting = async (db: Db, runId: string): Promise<RunTargeting | null> => {
  const row = await db.maybeOne(sql.type(z.object({ target_selectors: z.unknown(), preflight: z.unknown() }))`
    select target_selectors, preflight from runs where id = ${runId} and preflight is not null`);
  if (!row) return null;
  const parsed = runTargetingSchema.safeParse({ selectors: row.target_selectors, preflight: row.preflight });
  return parsed.success ? parsed.data : null;
};
