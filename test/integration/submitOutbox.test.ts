// Issue 11, item 2: what a new request owes Slack (parent, "submitted" reply, approval request) is written in
// the transaction that stores the run, so a crash between the two cannot leave a request nobody is asked to approve.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { createRunSubmitter, type RunSubmitter, type SubmitInput } from '../../src/runs/submitRun.ts';
import { loadRegistry } from '../../src/tools/registry.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

let db: TestDatabase;
let submitter: RunSubmitter;

const input = (instanceId: string): SubmitInput => ({
  toolId: 'qc-prep',
  actionId: 'initial-qc',
  params: {},
  instanceText: instanceId,
  changeNumber: 'CHG0012345',
  requesterId: 'U0REQUESTER',
  channelId: 'C0OPSCHAN',
});

const countRuns = async (): Promise<number> => db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs`);

beforeAll(async () => {
  const [created, registry] = await Promise.all([createTestDatabase(), loadRegistry()]);
  db = created;
  // The change as the verifier would have stored it.
  await db.pool.query(sql.type(z.object({}))`insert into changes (number, state) values ('CHG0012345', '-1')`);
  submitter = createRunSubmitter({
    pool: db.pool,
    registry,
    approvalChannelId: 'C0APPROVALS',
    approvalTtlMinutes: 60,
    changes: { verify: async (number) => ({ ok: true, change: { number } as never }) },
    gate: { check: async () => ({ ok: true }) } as never,
    // Every named instance is a managed, online Linux host of one account.
    resolver: {
      resolve: async ({ selectors }) => ({
        warnings: [],
        candidates: selectors
          .flatMap((s) => (s.kind === 'ids' ? s.ids : []))
          .map((id) => {
            return {
              ref: id,
              instance: {
                instanceId: id,
                accountId: '111111111111',
                region: 'us-east-1',
                partition: 'aws' as const,
                computerName: null,
                platformType: 'Linux',
                platformName: 'Amazon Linux',
                pingStatus: 'Online',
                gone: false,
              },
            };
          }),
      }),
    },
  });
}, 60_000);
afterAll(async () => db.drop());

describe('submitting a request', () => {
  it('queues the parent, the "submitted" reply and the approval request with the run, in that order, and the target list file', async () => {
    const result = await submitter.submit(input('i-0aaaaaaaaaaaaaaa1'));
    if (!result.ok) throw new Error(result.message);
    const owed = await listOwed(db.pool, result.run.id);
    expect(owed.map((r) => [r.kind, r.state, r.stream])).toEqual([
      ['run_parent', 'pending', `run:${result.run.id}`],
      ['run_reply', 'pending', `run:${result.run.id}`],
      ['approval', 'pending', `run:${result.run.id}`],
      ['file', 'pending', `run:${result.run.id}`],
    ]);
    expect(owed[1]?.payload).toEqual({ kind: 'submitted' });
  });

  it('stores neither the run nor its messages when the transaction fails after the run insert (a crash between them)', async () => {
    const runsBefore = await countRuns();
    // The outbox write fails inside the submit transaction: the run insert before it must roll back with it.
    await db.pool.query(sql.unsafe`
      create function pcm_test_refuse_outbox() returns trigger language plpgsql as $$
      begin raise exception 'simulated crash before commit'; end $$`);
    await db.pool.query(sql.unsafe`
      create trigger pcm_test_refuse_outbox before insert on slack_outbox for each row execute function pcm_test_refuse_outbox()`);
    try {
      await expect(submitter.submit(input('i-0aaaaaaaaaaaaaaa2'))).rejects.toThrow(/simulated crash/u);
    } finally {
      await db.pool.query(sql.unsafe`drop trigger pcm_test_refuse_outbox on slack_outbox`);
      await db.pool.query(sql.unsafe`drop function pcm_test_refuse_outbox()`);
    }
    expect(await countRuns()).toBe(runsBefore);
  });

  it('every stored run has its approval request owed (rows exist iff the run exists)', async () => {
    const orphans = await db.pool.anyFirst(sql.type(z.object({ id: z.string() }))`
      select r.id from runs r
      where not exists (select 1 from slack_outbox o where o.run_id = r.id and o.kind = 'approval')`);
    expect(orphans).toEqual([]);
    const strays = await db.pool.anyFirst(sql.type(z.object({ id: z.bigint() }))`
      select o.id from slack_outbox o where o.run_id is not null and not exists (select 1 from runs r where r.id = o.run_id)`);
    expect(strays).toEqual([]);
  });
});
