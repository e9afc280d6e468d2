// Retention (issue 11, item 6): old executions lose their stored output in bounded batches, run by the
// runtime role; statuses, results, approvals and audit events stay; stale inventory rows are deleted.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import { insertApproval } from '../../src/db/queries/approvals.ts';
import { appendAudit, listRunAudit } from '../../src/db/queries/audit.ts';
import { insertExecutions, listExecutionsForSummary } from '../../src/db/queries/executions.ts';
import { upsertInstances } from '../../src/db/queries/instances.ts';
import { insertRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { pruneExpiredOutput } from '../../src/retention/pruneExpiredOutput.ts';
import { pruneStaleInstances } from '../../src/retention/pruneStaleInstances.ts';
import { runRetention } from '../../src/retention/runRetention.ts';
import { testRuntimeUrl } from '../helpers/pgAdmin.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const SHA = 'a'.repeat(64);
let db: TestDatabase;
let runtime: DatabasePool;
let owner: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  // Retention runs as the bot does: the restricted runtime role.
  runtime = await createPool(testRuntimeUrl(db.name), { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  await upsertScripts(db.pool, [
    { sha256: SHA, tool: 'qc-prep', action: 'initial-qc', name: 'qc-prep/initial-qc.sh', interpreter: 'bash', content: 'echo' },
  ]);
  await owner.query(`insert into changes (number, state) values ('CHG0012345', '-1')`);
});
afterAll(async () => {
  await runtime?.end();
  await owner?.end();
  await db?.drop();
});

/** A finished run of `count` successful executions with output, finished `daysAgo` days ago, with an approval and audit events. */
const finishedRun = async (count: number, daysAgo: number): Promise<string> => {
  const id = randomUUID();
  await insertRun(db.pool, {
    id,
    tool: 'qc-prep',
    action: 'initial-qc',
    params: {},
    scriptSha256: SHA,
    requesterId: 'U0REQUESTER',
    channelId: 'C0OPS',
    approvalChannelId: 'C0APPROVALS',
    changeNumber: 'CHG0012345',
    planDigest: 'd'.repeat(64),
    approvalsRequired: 1,
    mutates: false,
    targetCount: count,
    correlationId: randomUUID(),
    approvalExpiresAt: new Date(Date.now() + 3_600_000),
  });
  await insertExecutions(
    db.pool,
    id,
    SHA,
    Array.from({ length: count }, (_, i) => ({
      instanceId: `i-${id.slice(0, 8)}${String(i).padStart(9, '0')}`,
      accountId: '111111111111',
      region: 'us-east-1',
      partition: 'aws' as const,
    })),
  );
  await owner.query(
    `
    update executions set status = 'success', command_id = 'cmd-' || $1, response_code = 0,
      stdout = 'kernel ok' || repeat('.', 5000) || E'\nPCM_RESULT {"status":"ok","summary":"ready"}', stderr = 'warning: x',
      result = '{"status":"ok","summary":"ready"}', started_at = now() - make_interval(days => $2) - interval '1 minute',
      finished_at = now() - make_interval(days => $2)
    where run_id = $1`,
    [id, daysAgo],
  );
  await insertApproval(db.pool, { runId: id, approverId: 'U0APPROVER', decision: 'approved', reason: null, planDigest: 'd'.repeat(64) });
  await appendAudit(db.pool, {
    runId: id,
    actor: 'U0APPROVER',
    action: 'run.approved',
    fromStatus: 'pending_approval',
    toStatus: 'approved',
  });
  await appendAudit(db.pool, { runId: id, actor: 'bot', action: 'run.finished', fromStatus: 'running', toStatus: 'succeeded' });
  return id;
};

type Snapshot = {
  status: string;
  result: unknown;
  command_id: string | null;
  finished_at: Date;
  stdout: string | null;
  stderr: string | null;
  output_pruned_at: Date | null;
};
const executionsOf = async (runId: string): Promise<Snapshot[]> =>
  (
    await owner.query<Snapshot>(
      'select status, result, command_id, finished_at, stdout, stderr, output_pruned_at from executions where run_id = $1 order by id',
      [runId],
    )
  ).rows;
const evidenceOf = async (runId: string): Promise<unknown> => ({
  approvals: (
    await owner.query('select approver_id, decision, plan_digest, decided_at from approvals where run_id = $1 order by id', [runId])
  ).rows,
  audit: (await owner.query('select * from audit_events where run_id = $1 order by id', [runId])).rows,
  run: (await owner.query('select * from runs where id = $1', [runId])).rows,
});

describe('output retention', () => {
  it('prunes only the output of executions finished before the cutoff, in batches no larger than asked, keeping statuses, results, approvals and audit', async () => {
    const old = await finishedRun(25, 100);
    const recent = await finishedRun(5, 10);
    const [oldBefore, recentBefore, oldEvidence, recentEvidence] = [
      await executionsOf(old),
      await executionsOf(recent),
      await evidenceOf(old),
      await evidenceOf(recent),
    ];

    const report = await pruneExpiredOutput(runtime, { olderThanDays: 90, batchSize: 10 });

    // 25 rows with a bound of 10: 10 + 10 + 5, the short batch ends the loop.
    expect(report).toEqual({ pruned: 25, batches: 3 });
    const oldAfter = await executionsOf(old);
    expect(oldAfter.map(({ stdout, stderr }) => ({ stdout, stderr }))).toEqual(oldBefore.map(() => ({ stdout: null, stderr: null })));
    expect(oldAfter.every((e) => e.output_pruned_at instanceof Date)).toBe(true);
    const kept = (rows: Snapshot[]) =>
      rows.map(({ status, result, command_id, finished_at }) => ({ status, result, command_id, finished_at }));
    expect(kept(oldAfter)).toEqual(kept(oldBefore));
    expect(await executionsOf(recent)).toEqual(recentBefore);
    expect(await evidenceOf(old)).toEqual(oldEvidence);
    expect(await evidenceOf(recent)).toEqual(recentEvidence);

    // What the UI reads says so; the run's audit trail is whole.
    const summary = await listExecutionsForSummary(db.pool, old, 5);
    expect(summary.every((e) => e.output_pruned_at !== null && e.stdout === null && e.result !== null)).toBe(true);
    expect((await listRunAudit(db.pool, old)).map((a) => a.action)).toEqual(['run.approved', 'run.finished']);

    // Nothing left to do: one empty batch.
    expect(await pruneExpiredOutput(runtime, { olderThanDays: 90, batchSize: 10 })).toEqual({ pruned: 0, batches: 1 });
  });

  it('skips rows another transaction holds instead of waiting for them; the next pass takes them', async () => {
    const old = await finishedRun(3, 200);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      const held = await holder.query<{ id: string }>('select id from executions where run_id = $1 order by id limit 1 for update', [old]);
      expect(await pruneExpiredOutput(runtime, { olderThanDays: 90, batchSize: 10 })).toEqual({ pruned: 2, batches: 1 });
      await holder.query('commit');
      expect((await owner.query('select stdout from executions where id = $1', [held.rows[0]?.id])).rows[0]?.stdout).toMatch(/^kernel ok/u);
    } finally {
      await holder.end();
    }
    expect(await pruneExpiredOutput(runtime, { olderThanDays: 90, batchSize: 10 })).toEqual({ pruned: 1, batches: 1 });
  });

  it('0 days keeps output for ever', async () => {
    const old = await finishedRun(2, 400);
    expect(await pruneExpiredOutput(runtime, { olderThanDays: 0, batchSize: 10 })).toEqual({ pruned: 0, batches: 0 });
    expect((await executionsOf(old)).every((e) => e.stdout !== null)).toBe(true);
    await pruneExpiredOutput(runtime, { olderThanDays: 90, batchSize: 10 });
  });
});

describe('inventory retention', () => {
  it('deletes instances not seen for longer than the setting, in batches, and keeps the others', async () => {
    const record = (id: string) => ({
      instanceId: id,
      partition: 'aws' as const,
      accountId: '111111111111',
      region: 'us-east-1',
      pingStatus: 'Online',
      platformType: 'Linux',
      platformName: 'Rocky',
      computerName: id,
    });
    const stale = Array.from({ length: 7 }, (_, i) => `i-stale${String(i).padStart(10, '0')}`);
    const fresh = ['i-fresh0000000001', 'i-fresh0000000002'];
    await upsertInstances(db.pool, [...stale, ...fresh].map(record));
    await owner.query(`update instances set last_seen_at = now() - interval '45 days' where instance_id = any($1)`, [stale]);

    expect(await pruneStaleInstances(runtime, { notSeenForDays: 30, batchSize: 3 })).toEqual({ deleted: 7, batches: 3 });
    const left = await owner.query<{ instance_id: string }>('select instance_id from instances order by instance_id');
    expect(left.rows.map((r) => r.instance_id)).toEqual(fresh);
  });

  it('runRetention does both and reports the counts', async () => {
    const old = await finishedRun(4, 120);
    await upsertInstances(db.pool, [
      {
        instanceId: 'i-gone00000000001',
        partition: 'aws',
        accountId: '111111111111',
        region: 'us-east-1',
        pingStatus: null,
        platformType: null,
        platformName: null,
        computerName: null,
      },
    ]);
    await owner.query(`update instances set last_seen_at = now() - interval '400 days' where instance_id = 'i-gone00000000001'`);
    const report = await runRetention(runtime, { outputRetentionDays: 90, instanceRetentionDays: 30, batchSize: 1000 });
    expect(report).toEqual({ outputPruned: 4, instancesDeleted: 1, batches: 2 });
    expect((await executionsOf(old)).every((e) => e.stdout === null && e.status === 'success')).toBe(true);
  });
});
