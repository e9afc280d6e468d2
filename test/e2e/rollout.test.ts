// A halted rollout with real processes: two bot replicas on one database. Kernel Staging (defaults: canary 1 per
// account/region, waves 10 %, budget 5 %) halts after its first wave; the parent message shows why with Continue
// and Stop; the requester's Continue is refused; the replica that drove it is SIGKILLed and the halt stands (no
// replica takes it over, nothing more is sent); an approver's Continue on the other replica sends the next wave,
// which halts it again; Stop ends it.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { ACCOUNTS, FAST_TAKEOVER_ENV, CHANGE, OPS_CHANNEL, SIGNING_SECRET, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { submitAndApprove, waitForRunStatus } from '../helpers/slackFlows.ts';
import { blockActionsPayload } from '../helpers/slackPayloads.ts';
import { postInteraction } from '../helpers/slackRequest.ts';

// 20 instances in each of three account/regions, in both partitions: canary 3, waves of 6, budget 3.
const fleet: FakeInstance[] = [
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 20 }),
  ...makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 20 }),
  ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 20 }),
];
// The canary is the first instance (by id) of each account/region; every other host fails.
const canary = new Set(
  [...Map.groupBy(fleet, (i) => `${i.accountId}/${i.region}`).values()].map((g) => g.map((i) => i.instanceId).sort()[0]),
);
const withBehavior = fleet.map((i) => ({
  ...i,
  behavior: canary.has(i.instanceId)
    ? { status: 'Success' as const, stdout: 'PCM_RESULT {"status":"ok","summary":"staged"}\n' }
    : { status: 'Failed' as const, stdout: 'PCM_RESULT {"status":"fail","summary":"kernel package not found"}\n' },
}));

const sentTo = (s: Sandbox, runId: string) =>
  s.aws
    .commands()
    .filter((c) => c.comment.includes(runId))
    .flatMap((c) => c.instanceIds);
const statusOf = async (s: Sandbox, runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
const audit = async (s: Sandbox, runId: string) =>
  s.db.pool.any(sql.type(z.object({ actor: z.string(), action: z.string() }))`
    select actor, action from audit_events where run_id = ${runId} order by id`);
const parentOf = (s: Sandbox, runId: string) =>
  s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));

/** Clicks a button of the run's parent message as `user`, on the replica at `url`. */
const click = async (s: Sandbox, url: string, runId: string, user: string, actionId: 'continue_run' | 'stop_run') => {
  const parent = parentOf(s, runId);
  if (!parent) throw new Error('no parent message');
  const payload = blockActionsPayload({
    user,
    actionId,
    message: { ts: parent.ts, blocks: parent.blocks ?? [], text: parent.text },
    channel: OPS_CHANNEL,
    triggerId: s.slack.issueTriggerId({ userId: user }),
  });
  const response = await postInteraction(url, SIGNING_SECRET, payload);
  await response.body?.cancel();
  expect(response.status).toBe(200);
};

describe('a halted rollout across kill -9 and replicas', () => {
  let s: Sandbox;
  let second: LaunchedBot;
  beforeAll(async () => {
    s = await startSandbox({
      instances: withBehavior,
      aws: { defaultRunMs: 200 },
      env: FAST_TAKEOVER_ENV,
    });
    second = await launchBot(s.env);
  });
  afterAll(async () => {
    await second?.stop();
    await s?.close();
  });

  it('halts after the first wave, survives the death of its replica, and is continued and stopped from the other', async () => {
    const runId = await submitAndApprove(s, {
      command: '/qc-prep',
      action: 'kernel-staging',
      values: {
        instances: fleet.map((i) => i.instanceId).join('\n'),
        change: CHANGE,
        'param:targetKernel': '5.14.0-427.13.1.el9_4.x86_64',
      },
      requester: USERS.requester,
      approvers: [USERS.approver, USERS.second],
    });
    expect(await waitForRunStatus(s, runId, ['halted', 'succeeded', 'failed', 'partially_failed'])).toBe('halted');
    expect(sentTo(s, runId)).toHaveLength(3 + 6);

    // The thread says why; the parent shows it with Continue and Stop.
    const why = 'halted after wave 1: 6 of 9 failed, budget 3';
    await s.slack.waitFor((f) => f.messages(OPS_CHANNEL).find((m) => m.thread_ts && JSON.stringify(m.blocks ?? []).includes(why)), {
      timeoutMs: 10_000,
    });
    const haltedParent = await s.slack.waitFor(
      () => {
        const blocks = JSON.stringify(parentOf(s, runId)?.blocks ?? []);
        return blocks.includes('continue_run') && blocks.includes('stop_run') && blocks.includes(why) ? blocks : undefined;
      },
      { timeoutMs: 10_000 },
    );
    // Its controls are Continue and Stop; Cancel is for runs that are moving.
    expect(haltedParent).not.toContain('cancel_run');

    // The requester cannot continue their own run.
    await click(s, s.bot.url, runId, USERS.requester, 'continue_run');
    const refused = async () => (await audit(s, runId)).find((a) => a.action === 'continue_refused' && a.actor === USERS.requester);
    for (let i = 0; i < 50 && !(await refused()); i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(await refused()).toBeDefined();
    expect(await statusOf(s, runId)).toBe('halted');

    // SIGKILL the replica that drove the run (and the first one, if it was the other), then wait out the lease:
    // the halt stands, no replica claims the run, nothing more is sent.
    const started = await s.db.pool.oneFirst(sql.type(z.object({ owner: z.string() }))`
      select data->>'owner' as owner from audit_events where run_id = ${runId} and action = 'started'`);
    const driver = Number(started.split(':')[1]) === s.bot.child.pid ? s.bot : second;
    const survivor = driver === s.bot ? second : s.bot;
    await driver.kill();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await statusOf(s, runId)).toBe('halted');
    expect(sentTo(s, runId)).toHaveLength(9);
    expect(survivor.output.some((l) => l.includes('resuming run') && l.includes(runId))).toBe(false);

    // An approver continues on the surviving replica: wave 2 is sent, fails, and the run halts again.
    await click(s, survivor.url, runId, USERS.approver, 'continue_run');
    const deadline = Date.now() + 20_000;
    while (sentTo(s, runId).length < 15 || (await statusOf(s, runId)) !== 'halted') {
      if (Date.now() > deadline) throw new Error(`wave 2 did not go out and halt: ${await statusOf(s, runId)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sentTo(s, runId)).toHaveLength(15);
    expect((await audit(s, runId)).filter((a) => a.action === 'continued')).toEqual([{ actor: USERS.approver, action: 'continued' }]);

    // Stop (from the parent message, once it shows the second halt): the run ends and the rest is never sent.
    await s.slack.waitFor(
      () => (JSON.stringify(parentOf(s, runId)?.blocks ?? []).includes('halted after wave 2: 12 of 15 failed') ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    await click(s, survivor.url, runId, USERS.requester, 'stop_run');
    expect(await waitForRunStatus(s, runId, ['stopped'], 10_000)).toBe('stopped');
    await s.slack.waitFor(
      (f) =>
        f
          .messages(OPS_CHANNEL)
          .find((m) => m.thread_ts && /Finished/u.test(JSON.stringify(m.blocks ?? [])) && /stopped/u.test(JSON.stringify(m.blocks ?? []))),
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(sentTo(s, runId)).toHaveLength(15);
    if (driver === s.bot) s.bot = survivor;
  });
});
