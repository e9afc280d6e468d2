// Two bot processes on one database: runs are shared and each is claimed once; when the replica
// driving a run dies, the other takes the run over once the lease expires.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { ACCOUNTS, FAST_TAKEOVER_ENV, CHANGE, OPS_CHANNEL, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { submitAndApprove, waitForRunStatus } from '../helpers/slackFlows.ts';

const fleet: FakeInstance[] = [
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 60 }),
  ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 40 }),
].map((i) => ({ ...i, behavior: { status: 'Success' as const, stdout: `ok ${i.instanceId}\n` } }));
const CHUNKS = 3;

/** The test's fleet requested and approved (the run may be starting). */
const approvedRun = async (s: Sandbox): Promise<string> =>
  submitAndApprove(s, {
    command: '/qc-prep',
    values: { instances: fleet.map((i) => i.instanceId).join('\n'), change: CHANGE },
    requester: USERS.requester,
    approvers: [USERS.approver],
  });

const ownerOf = async (s: Sandbox, runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ owner: z.string().nullable() }))`select lease_owner as owner from runs where id = ${runId}`);
const startedBy = async (s: Sandbox, runId: string) =>
  s.db.pool.anyFirst(
    sql.type(
      z.object({ owner: z.string() }),
    )`select data->>'owner' as owner from audit_events where run_id = ${runId} and action = 'started'`,
  );
const pidIn = (owner: string | null | undefined): number => Number(owner?.split(':')[1]);

const expectSentOnceAndSucceeded = async (s: Sandbox, runId: string): Promise<void> => {
  expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'], 30_000)).toBe('succeeded');
  const commands = s.aws.commands().filter((c) => c.comment.includes(runId));
  expect(commands.map((c) => c.comment).sort()).toEqual(Array.from({ length: CHUNKS }, (_, seq) => `pcm-ops ${runId} #${seq}`).sort());
  const rows = await s.db.pool.anyFirst(sql.type(z.object({ status: z.string() }))`select status from executions where run_id = ${runId}`);
  expect(rows).toEqual(fleet.map(() => 'success'));
  const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId));
  await s.slack.waitFor(
    (f) =>
      f
        .thread(OPS_CHANNEL, parent?.ts ?? '')
        .find((r) => /Finished/u.test(JSON.stringify(r.blocks ?? r.text)) && /succeeded/u.test(JSON.stringify(r.blocks ?? r.text))),
    { timeoutMs: 10_000 },
  );
};

describe('replicas: two bot processes on one database', () => {
  let s: Sandbox;
  let second: LaunchedBot;
  beforeAll(async () => {
    s = await startSandbox({
      instances: fleet,
      aws: { defaultRunMs: 1_500 },
      // One run at a time per replica, so a second run has to go to the other replica.
      env: { ...FAST_TAKEOVER_ENV, MAX_ACTIVE_RUNS: '1' },
    });
    second = await launchBot(s.env);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.close();
  });

  it('share the work: two runs approved together are driven by different replicas, each claimed once', async () => {
    const first = await approvedRun(s);
    const other = await approvedRun(s);
    await expectSentOnceAndSucceeded(s, first);
    await expectSentOnceAndSucceeded(s, other);

    const owners = [...(await startedBy(s, first)), ...(await startedBy(s, other))];
    expect(owners).toHaveLength(2);
    expect(new Set(owners.map(pidIn))).toEqual(new Set([s.bot.child.pid, second.child.pid]));
  });

  it("take over a dead replica's run when its lease expires, without sending anything twice", async () => {
    const runId = await approvedRun(s);
    const deadline = Date.now() + 10_000;
    while ((await ownerOf(s, runId)) === null || s.aws.commands().filter((c) => c.comment.includes(runId)).length === 0) {
      if (Date.now() > deadline) throw new Error('the run was not started');
      await new Promise((r) => setTimeout(r, 10));
    }
    const owner = await ownerOf(s, runId);
    const [dead, survivor] = pidIn(owner) === s.bot.child.pid ? [s.bot, second] : [second, s.bot];
    expect(pidIn(owner)).toBe(dead.child.pid);
    await dead.kill();

    await expectSentOnceAndSucceeded(s, runId);
    expect(survivor.output.some((l) => l.includes('resuming run') && l.includes(runId))).toBe(true);
    expect(await startedBy(s, runId)).toHaveLength(1);
    if (dead === s.bot) s.bot = survivor;
  });
});
