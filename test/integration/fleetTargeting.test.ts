// Issue 9: fleet targeting with the fake AWS and real PostgreSQL: inventory sync, tag selectors over both
// partitions, pre-flight, the frozen plan dispatched exactly, "from a previous step", locks.
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { transitionRun } from '../../src/db/queries/runs.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { createTargetResolver } from '../../src/inventory/resolveTargets.ts';
import { syncInventory } from '../../src/inventory/syncInventory.ts';
import { createRunSubmitter, type RunSubmitter } from '../../src/runs/submitRun.ts';
import { approvalMessage } from '../../src/slack/blocks/approvalMessage.ts';
import { getRunTargeting } from '../../src/db/queries/targeting.ts';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { getRun } from '../../src/db/queries/runs.ts';
import { createOutbox, type Outbox } from '../../src/outbox/createOutbox.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { loadTargetGroups, toRunView } from '../../src/slack/loadRunView.ts';
import { preflightText } from '../../src/slack/blocks/preflightText.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { validateMessageBlocks } from '../../src/sandbox/slack/blockKitLimits.ts';
import { ACCOUNTS, CHANGE } from '../helpers/sandbox.ts';
import { commandsOf, startHarness, TARGETS, type Harness } from '../helpers/executorHarness.ts';

const tagged = { PatchGroup: 'prod-a' };
const com = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 2000, tags: tagged, name: 'a' });
const com2 = makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 1500, tags: tagged, name: 'b' });
const gov = makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 1470, tags: tagged, name: 'c' });
const govWindows = makeInstances({
  accountId: ACCOUNTS.gov.id,
  region: 'us-gov-west-1',
  count: 30,
  tags: tagged,
  name: 'w',
  platformType: 'Windows',
});
const others = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 5000, tags: { PatchGroup: 'prod-b' }, name: 'o' });
const lost = [...com.slice(0, 40), ...gov.slice(0, 10)];

let h: Harness;
let submitter: RunSubmitter;
let slack: FakeSlack;
let outbox: Outbox;

/** Delivers what a run owes Slack through the real outbox to the fake Slack (which enforces Block Kit limits). */
const deliver = async (runId: string): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while ((await listOwed(h.db.pool, runId)).some((r) => r.state === 'pending')) {
    if (Date.now() > deadline) throw new Error('owed messages not delivered in time');
    await outbox.drain();
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeAll(async () => {
  h = await startHarness({ instances: [...com, ...com2, ...gov, ...govWindows, ...others], aws: { defaultRunMs: 20 } });
  slack = await startFakeSlack();
  outbox = createOutbox({
    pool: h.db.pool,
    registry: h.registry,
    logger: pino({ level: 'silent' }),
    retryBaseMs: 20,
    retryMaxMs: 50,
    updateIntervalMs: 0,
    postBurst: 100,
    client: new WebClient(slack.botToken, { slackApiUrl: slack.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
  });
  for (const i of lost) h.aws.setPingStatus(i.instanceId, 'ConnectionLost');
  const bound = createWorkQueues({ global: 10, perRegion: 4 });
  submitter = createRunSubmitter({
    pool: h.db.pool,
    registry: h.registry,
    approvalChannelId: 'C0APPROVALS',
    approvalTtlMinutes: 60,
    changes: { verify: async (number) => ({ ok: true, change: { number } as never }) },
    gate: { check: async () => ({ ok: true }) } as never,
    resolver: createTargetResolver({ pool: h.db.pool, targets: TARGETS, ssm: h.ssm, bound, cacheMinutes: 60 }),
  });
}, 60_000);
afterAll(async () => {
  await outbox?.stop();
  await slack?.close();
  await h.close();
});

const submit = async (text: string, action = 'initial-qc', user = 'U0REQUESTER') =>
  submitter.submit({
    toolId: 'qc-prep',
    actionId: action,
    params: action === 'kernel-staging' ? { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' } : {},
    instanceText: text,
    changeNumber: CHANGE,
    requesterId: user,
    channelId: 'C0OPSCHAN',
  });

describe('fleet targeting', () => {
  it('syncs an inventory of 10,000 instances per account/region; a failed scope keeps its last good data', async () => {
    const bound = createWorkQueues({ global: 10, perRegion: 4 });
    const results = await syncInventory({ pool: h.db.pool, targets: TARGETS, ssm: h.ssm, bound });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.reduce((n, r) => n + r.instances, 0)).toBe(10_000);
    expect(results.find((r) => r.partition === 'aws-us-gov')?.instances).toBe(1500);
    const pages = h.aws.calls.filter(
      (c) => c.operation === 'DescribeInstanceInformation' && (c.request as { MaxResults?: number }).MaxResults === 50,
    );
    expect(pages.length).toBeGreaterThanOrEqual(200);
    h.aws.failOperations(['DescribeInstanceInformation']);
    const failed = await syncInventory({
      pool: h.db.pool,
      targets: TARGETS,
      ssm: h.ssm,
      bound: createWorkQueues({ global: 10, perRegion: 4 }),
    });
    h.aws.failOperations([]);
    expect(failed.every((r) => !r.ok && r.error && r.lastSuccessAt)).toBe(true);
    expect(failed.reduce((n, r) => n + r.instances, 0)).toBe(10_000);
    const rows = await h.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from instances`);
    expect(rows).toBe(10_000);
  }, 120_000);

  it('one tag line selects 5,000 over both partitions; pre-flight excludes ConnectionLost and wrong platform; the frozen list is dispatched exactly', async () => {
    const result = await submit('tag:PatchGroup=prod-a');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.preflight?.eligible).toBe(5000 - 50 - 30);
    expect(result.preflight?.byReason).toEqual({ connection_lost: 50, wrong_platform: 30 });
    expect(result.preflight?.byScope.map((s) => [s.partition, s.accountId, s.eligible, s.excluded])).toEqual([
      ['aws', ACCOUNTS.com.id, 1960, 40],
      ['aws', ACCOUNTS.com2.id, 1500, 0],
      ['aws-us-gov', ACCOUNTS.gov.id, 1460, 40],
    ]);
    const runId = result.run.id;
    const targeting = await getRunTargeting(h.db.pool, runId);
    expect(targeting?.selectors).toEqual(['tag:PatchGroup=prod-a']);
    const message = approvalMessage(toRunView(result.run, h.registry), await loadTargetGroups(h.db.pool, runId), {
      approvedBy: [],
      targeting,
    });
    expect(validateMessageBlocks(message.blocks)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('wrong platform');
    expect(validateMessageBlocks([{ type: 'section', text: { type: 'mrkdwn', text: preflightText(targeting!) } }])).toEqual([]);

    // Delivered through the outbox: the fake Slack refuses anything over Block Kit's limits.
    await deliver(runId);
    expect(slack.calls.filter((c) => !c.ok)).toEqual([]);
    const submitted = await getRun(h.db.pool, runId);
    const approval = slack.message('C0APPROVALS', submitted?.approval_ts ?? '');
    expect(JSON.stringify(approval?.blocks)).toContain('*Instances*\\n4920');
    // The complete target list in the approval thread: 5,000 rows (4,920 targets, 80 excluded) plus the header.
    const [list] = slack.filesIn('C0APPROVALS', submitted?.approval_ts ?? '');
    const rows = (slack.fileContent(list?.id ?? '') ?? '').split('\r\n').filter((l) => l !== '');
    expect(rows).toHaveLength(5001);
    expect(rows[0]).toBe('instance_id,name,account,region,partition,platform,ping_status,plan,excluded_reason');
    const listed = rows.slice(1).map((l) => l.split(','));
    expect(new Set(listed.filter((r) => r[7] === 'target').map((r) => r[0]))).toEqual(new Set(result.targets.map((t) => t.instanceId)));
    expect(listed.filter((r) => r[7] === 'excluded' && r[6] === 'ConnectionLost')).toHaveLength(50);
    expect(rows.filter((l) => l.endsWith(',excluded,"Windows, the action runs on Linux"'))).toHaveLength(30);
    expect(listed.filter((r) => r[4] === 'aws-us-gov')).toHaveLength(1500);

    // Tags change after submit: the plan does not.
    h.aws.addInstances(makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 10, tags: tagged, name: 'late' }));
    await h.db.pool.transaction(async (tx) => transitionRun(tx, runId, ['pending_approval'], 'approved'));
    h.executor.wake();
    await h.waitForRun(runId, ['succeeded', 'failed', 'partially_failed'], 120_000);
    const sent = commandsOf(h, runId).flatMap((c) => c.instanceIds);
    expect(sent.length).toBe(4920);
    expect(new Set(sent)).toEqual(new Set(result.targets.map((t) => t.instanceId)));

    // The run's thread gets the per-instance results as a CSV: one row per dispatched instance.
    await deliver(runId);
    const finished = await getRun(h.db.pool, runId);
    const [results] = slack.filesIn(finished?.channel_id ?? '', finished?.message_ts ?? '');
    const resultRows = (slack.fileContent(results?.id ?? '') ?? '').split('\r\n').filter((l) => l !== '');
    expect(resultRows).toHaveLength(4921);
    expect(new Set(resultRows.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(sent));
    expect(slack.calls.filter((c) => !c.ok)).toEqual([]);
  }, 180_000);

  it('"from a previous step" selects exactly the instances that passed', async () => {
    const pick = com2.slice(0, 6).map((i) => i.instanceId);
    h.aws.setBehavior(pick[0]!, { status: 'Failed', stdout: 'nope' });
    h.aws.setBehavior(pick[1]!, { status: 'Failed', stdout: 'nope' });
    const first = await submit(pick.join('\n'), 'final-report');
    if (!first.ok) throw new Error(JSON.stringify(first.errors));
    await h.db.pool.transaction(async (tx) => transitionRun(tx, first.run.id, ['pending_approval'], 'approved'));
    h.executor.wake();
    await h.waitForRun(first.run.id);
    const next = await submit('step:qc-prep/final-report=success', 'final-report');
    if (!next.ok) throw new Error(JSON.stringify(next.errors));
    expect(new Set(next.targets.map((t) => t.instanceId))).toEqual(new Set(pick.slice(2)));
    const failed = await submit('step:qc-prep/final-report=failed', 'final-report');
    if (!failed.ok) throw new Error(JSON.stringify(failed.errors));
    expect(new Set(failed.targets.map((t) => t.instanceId))).toEqual(new Set(pick.slice(0, 2)));
  }, 120_000);

  it('a mutating request refuses instances an active mutating run targets, named; read-only requests are not blocked', async () => {
    const ids = com2.slice(100, 103).map((i) => i.instanceId);
    const first = await submit(ids.join(' '), 'kernel-staging', 'U0FIRST');
    if (!first.ok) throw new Error(JSON.stringify(first.errors));
    const second = await submit(ids[0]!, 'kernel-staging', 'U0SECOND');
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.errors.instances).toContain(first.run.id.slice(0, 8));
    expect(second.errors.instances).toContain('kernel-staging');
    expect(second.errors.instances).toContain('U0FIRST');
    const readOnly = await submit(ids[0]!, 'initial-qc', 'U0SECOND');
    expect(readOnly.ok).toBe(true);
  }, 60_000);

  it('refuses more than the action takes, with the count and how to narrow it', async () => {
    const result = await submit('tag:PatchGroup=prod-a,prod-b');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.instances).toMatch(/match 99\d\d eligible.*at most 5000.*Narrow/su);
  }, 120_000);
});
