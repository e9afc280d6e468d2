import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

export type ChangeRecord = {
  number: string;
  sysId: string | null;
  state: string | null;
  plannedStart: Date | null;
  plannedEnd: Date | null;
  assignmentGroup: string | null;
  shortDescription: string | null;
  verdict: string;
};

const ts = (d: Date | null) => (d ? sql.timestamp(d) : null);

/** Keeps the local copy of a change current each time ServiceNow is asked. */
export const upsertChange = async (db: Db, c: ChangeRecord): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into changes (number, sys_id, state, planned_start_at, planned_end_at, assignment_group, short_description, last_verified_at, last_verdict)
    values (${c.number}, ${c.sysId}, ${c.state}, ${ts(c.plannedStart)}, ${ts(c.plannedEnd)}, ${c.assignmentGroup}, ${c.shortDescription}, now(), ${c.verdict})
    on conflict (number) do update set
      sys_id = coalesce(excluded.sys_id, changes.sys_id), state = coalesce(excluded.state, changes.state),
      planned_start_at = coalesce(excluded.planned_start_at, changes.planned_start_at),
      planned_end_at = coalesce(excluded.planned_end_at, changes.planned_end_at),
      assignment_group = coalesce(excluded.assignment_group, changes.assignment_group),
      short_description = coalesce(excluded.short_description, changes.short_description),
      last_verified_at = now(), last_verdict = excluded.last_verdict, updated_at = now()`);
};

export const getChangeSysId = async (db: Db, number: string): Promise<string | null> =>
  db.maybeOneFirst(sql.type(z.object({ sys_id: z.string().nullable() }))`select sys_id from changes where number = ${number}`);

export const insertChangeInstances = async (
  db: Db,
  changeNumber: string,
  runId: string,
  targets: readonly { instanceId: string; accountId: string; region: string }[],
): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into change_instances (change_number, run_id, instance_id, account_id, region)
    select ${changeNumber}, ${runId}::uuid, t.instance_id, t.account_id, t.region
    from ${sql.unnest(
      targets.map((t) => [t.instanceId, t.accountId, t.region]),
      ['text', 'text', 'text'],
    )} as t(instance_id, account_id, region)
    on conflict do nothing`);
};

/** Targets of the approved or running runs under a change, with the host names SSM reported (CI coverage before dispatch). */
export const listActiveChangeTargets = async (db: Db, number: string): Promise<{ instanceId: string; computerName: string | null }[]> => {
  const rows = await db.any(sql.type(z.object({ instance_id: z.string(), computer_name: z.string().nullable() }))`
    select distinct ci.instance_id, i.computer_name
    from change_instances ci
    join runs r on r.id = ci.run_id
    left join instances i on i.instance_id = ci.instance_id
    where ci.change_number = ${number} and r.status in ('approved', 'scheduled', 'running')
    order by ci.instance_id`);
  return rows.map((r) => ({ instanceId: r.instance_id, computerName: r.computer_name }));
};

/** A run's targets with the host names SSM reported (CI coverage at approval). */
export const listRunCoverageTargets = async (db: Db, runId: string): Promise<{ instanceId: string; computerName: string | null }[]> => {
  const rows = await db.any(sql.type(z.object({ instance_id: z.string(), computer_name: z.string().nullable() }))`
    select e.instance_id, i.computer_name
    from executions e left join instances i on i.instance_id = e.instance_id
    where e.run_id = ${runId}
    order by e.instance_id`);
  return rows.map((r) => ({ instanceId: r.instance_id, computerName: r.computer_name }));
};
