// Scheduled start through real bot processes (issue 10, item 3): a request whose change window opens in a few
// seconds is approved and waits (`scheduled`, the parent message says when); it survives kill -9 of the replica
// that last looked at it and a takeover by another, and is dispatched once, at the window, not before.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { changeInWindow, formatServiceNowDate } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { ACCOUNTS, FAST_TAKEOVER_ENV, OPS_CHANNEL, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { submitAndApprove, waitForRunStatus } from '../helpers/slackFlows.ts';

const fleet: FakeInstance[] = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 60 }).map((i) => ({
  ...i,
  behavior: { status: 'Success' as const, stdout: `ok ${i.instanceId}\n` },
}));
const CHUNKS = 2;

/** A change in Implement whose window opens `inMs` from now (whole seconds, as ServiceNow stores them). */
const futureChange = (s: Sandbox, number: string, inMs: number): Date => {
  const start = new Date(Math.ceil((Date.now() + inMs) / 1000) * 1000);
  s.serviceNow.setChange({
    ...changeInWindow(number),
    start_date: formatServiceNowDate(start),
    end_date: formatServiceNowDate(new Date(start.getTime() + 3_600_000)),
  });
  return start;
};

const scheduledRun = async (s: Sandbox, change: string): Promise<string> => {
  const runId = await submitAndApprove(s, {
    command: '/qc-prep',
    values: { instances: fleet.map((i) => i.instanceId).join('\n'), change },
    requester: USERS.requester,
    approvers: [USERS.approver],
  });
  expect(await waitForRunStatus(s, runId, ['scheduled'], 10_000)).toBe('scheduled');
  return runId;
};

const auditOf = async (s: Sandbox, runId: string) =>
  s.db.pool.any(sql.type(z.object({ action: z.string(), owner: z.string().nullable() }))`
    select action, data->>'owner' as owner from audit_events where run_id = ${runId} order by id`);
const pidIn = (owner: string | null | undefined): number => Number(owner?.split(':')[1]);

/** Dispatched exactly once (one accepted SendCommand per chunk), every one at or after the window start. */
const expectDispatchedOnceAtWindow = async (s: Sandbox, runId: string, start: Date): Promise<void> => {
  expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed', 'cancelled'], 30_000)).toBe('succeeded');
  const sends = s.aws.calls.filter((c) => c.operation === 'SendCommand' && JSON.stringify(c.request).includes(runId) && c.status === 200);
  expect(sends).toHaveLength(CHUNKS);
  for (const c of sends) expect(c.at).toBeGreaterThanOrEqual(start.getTime());
  const commands = s.aws.commands().filter((c) => c.comment.includes(runId));
  expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(fleet.map((i) => i.instanceId).sort());
  const audit = await auditOf(s, runId);
  expect(audit.filter((a) => a.action === 'schedule_due')).toHaveLength(1);
  expect(audit.filter((a) => a.action === 'started')).toHaveLength(1);
};

describe('scheduled start across kill -9 and replicas', () => {
  let s: Sandbox;
  let second: LaunchedBot | undefined;
  beforeAll(async () => {
    s = await startSandbox({
      instances: fleet,
      env: { ...FAST_TAKEOVER_ENV, SCHEDULED_CHECK_SECONDS: '1' },
    });
    second = await launchBot(s.env);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.close();
  });

  it('waits with its start shown, survives kill -9 of a replica, and the other dispatches it at the window', async () => {
    const start = futureChange(s, 'CHG0077001', 9_000);
    const runId = await scheduledRun(s, 'CHG0077001');
    const parent = await s.slack.waitFor(
      (f) => f.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(`<!date^${start.getTime() / 1000}^`)),
      { timeoutMs: 10_000 },
    );
    expect(JSON.stringify(parent.blocks)).toContain(runId);

    // One replica dies (possibly holding the short claim of a change check); the other carries on.
    await s.bot.kill();
    await expectDispatchedOnceAtWindow(s, runId, start);
    const owners = (await auditOf(s, runId))
      .filter((a) => a.action === 'schedule_due' || a.action === 'started')
      .map((a) => pidIn(a.owner));
    expect(new Set(owners)).toEqual(new Set([second?.child.pid]));
    if (second) s.bot = second;
    second = undefined;
  });

  it('survives kill -9 of the only replica: a restarted bot dispatches it at the window, once', async () => {
    const start = futureChange(s, 'CHG0077002', 9_000);
    const runId = await scheduledRun(s, 'CHG0077002');
    await s.bot.kill();
    const restarted = await s.restart();
    await expectDispatchedOnceAtWindow(s, runId, start);
    const owners = (await auditOf(s, runId)).filter((a) => a.action === 'started').map((a) => pidIn(a.owner));
    expect(owners).toEqual([restarted.child.pid]);
  });
});
