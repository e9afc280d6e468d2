// Issue 9: fleet targeting with the fake AWS and real PostgreSQL: inventory sync, tag selectors over both
// partitions, pre-flight, the frozen plan dispatched exactly, "from a previous step", locks.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { transitionRun } from '../../src/db/queries/runs.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { createTargetResolver } from '../../src/inventory/resolveTargets.ts';
import { syncInventory } from '../../src/inventory/syncInventory.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import { createRequestGate } from '../../src/runs/requestGate.ts';
import { createRunSubmitter, type RunSubmitter, type SubmitInput } from '../../src/runs/submitRun.ts';
import { approvalMessage } from '../../src/slack/blocks/approvalMessage.ts';
import { getRunTargeting } from '../../src/db/queries/targeting.ts';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { getRun } from '../../src/db/queries/runs.ts';
import { type Outbox } from '../../src/outbox/createOutbox.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { loadTargetGroups, toRunView } from '../../src/slack/loadRunView.ts';
import { preflightText } from '../../src/slack/blocks/preflightText.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { validateMessageBlocks } from '../../src/sandbox/slack/blockKitLimits.ts';
import { ACCOUNTS, CHANGE } from '../helpers/sandbox.ts';
import { commandsOf, startHarness, TARGETS, type Harness } from '../helpers/executorHarness.ts';
import { fastOutbox } from '../helpers/fastOutbox.ts';

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
type SubmitterDeps = Parameters<typeof createRunSubmitter>[0];
let submitterWith: (over: Partial<SubmitterDeps>) => RunSubmitter;
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
  outbox = fastOutbox({ pool: h.db.pool, registry: h.registry, slack: slack });
  for (const i of lost) h.aws.setPingStatus(i.instanceId, 'ConnectionLost');
  const bound = createWorkQueues({ global: 10, perRegion: 4 });
  submitterWith = (over) =>
    createRunSubmitter({
      pool: h.db.pool,
      registry: h.registry,
      approvalChannelId: 'C0APPROVALS',
      approvalTtlMinutes: 60,
      changes: { verify: async (number) => ({ ok: true, change: { number } as never }) },
      gate: { check: async () => ({ ok: true }) },
      resolver: createTargetResolver({ pool: h.db.pool, targets: TARGETS, ssm: h.ssm, bound, cacheMinutes: 60 }),
      ...over,
    });
  submitter = submitterWith({});
}, 60_000);

const refusalRow = z.object({
  run_id: z.string().nullable(),
  action: z.string(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
/** The refusals audited for this person, and how many runs they have. */
const refusalsOf = async (user: string) => ({
  events: await h.db.pool.any(sql.type(refusalRow)`
    select run_id::text, action, reason, data from audit_events where actor = ${user} and action like '%refused' order by id`),
  runs: await h.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs where requester_id = ${user}`),
});
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
    const results = await syncInventory({ pool: h.db.pool, targets: TARGETS, ssm: h.ssm, tagging: h.tagging, bound });
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
      tagging: h.tagging,
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
    if (!result.ok) throw new Error(result.message);
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
    if (!first.ok) throw new Error(first.message);
    await h.db.pool.transaction(async (tx) => transitionRun(tx, first.run.id, ['pending_approval'], 'approved'));
    h.executor.wake();
    await h.waitForRun(first.run.id);
    const next = await submit('step:qc-prep/final-report=success', 'final-report');
    if (!next.ok) throw new Error(next.message);
    expect(new Set(next.targets.map((t) => t.instanceId))).toEqual(new Set(pick.slice(2)));
    const failed = await submit('step:qc-prep/final-report=failed', 'final-report');
    if (!failed.ok) throw new Error(failed.message);
    expect(new Set(failed.targets.map((t) => t.instanceId))).toEqual(new Set(pick.slice(0, 2)));
  }, 120_000);

  it('a mutating request refuses instances an active mutating run targets, named; read-only requests are not blocked', async () => {
    const ids = com2.slice(100, 103).map((i) => i.instanceId);
    const first = await submit(ids.join(' '), 'kernel-staging', 'U0FIRST');
    if (!first.ok) throw new Error(first.message);
    const second = await submit(ids[0]!, 'kernel-staging', 'U0SECOND');
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.message).toContain(first.run.id.slice(0, 8));
    expect(second.message).toContain('kernel-staging');
    expect(second.message).toContain('U0FIRST');
    expect(await refusalsOf('U0SECOND')).toMatchObject({
      events: [
        { run_id: null, action: 'request_refused', data: { code: 'nothing_eligible', action: 'kernel-staging', field: 'instances' } },
      ],
    });
    const readOnly = await submit(ids[0]!, 'initial-qc', 'U0SECOND');
    expect(readOnly.ok).toBe(true);
  }, 60_000);

  it('refuses more than the action takes, with the count and how to narrow it', async () => {
    const result = await submit('tag:PatchGroup=prod-a,prod-b');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/match 99\d\d eligible.*at most 5000.*Narrow/su);
    expect(result.field).toBe('instances');
    expect((await refusalsOf('U0REQUESTER')).events.map((e) => e.data['code'])).toEqual(['too_many']);
  }, 120_000);
});

describe('every refused submission is audited (who, tool, action, change, code, the text shown), without a run', () => {
  const base = (user: string, over: Partial<SubmitInput> = {}): SubmitInput => ({
    toolId: 'qc-prep',
    actionId: 'initial-qc',
    params: {},
    instanceText: others[0]!.instanceId,
    changeNumber: CHANGE,
    requesterId: user,
    channelId: 'C0OPSCHAN',
    ...over,
  });
  const cases: readonly (readonly [string, string, () => RunSubmitter, Partial<SubmitInput>, string])[] = [
    [
      'a malformed change number and selector',
      'invalid_request',
      () => submitter,
      { changeNumber: 'CHG12', instanceText: 'bogus!' },
      'instances,change',
    ],
    ['an action that does not exist', 'unknown_action', () => submitter, { actionId: 'rm-rf' }, 'action'],
    [
      'a person who is not a requester of the tool',
      'not_requester',
      () =>
        submitterWith({
          gate: createRequestGate({
            pool: h.db.pool,
            registry: h.registry,
            requestersFor: async () => rosterOf(['U0SOMEONEELSE']),
            allowedChannels: {},
          }),
        }),
      {},
      'action',
    ],
    ['over the rate limit', 'rate_limited', () => submitterWith({ submitRatePerMinute: 0 }), {}, 'action'],
    ['an id that exists nowhere', 'instances_not_found', () => submitter, { instanceText: 'i-0ffffffffffffffff' }, 'instances'],
    ['nothing eligible (agent lost)', 'nothing_eligible', () => submitter, { instanceText: lost[0]!.instanceId }, 'instances'],
    [
      'failing credentials',
      'credentials',
      () => submitterWith({ credentialRefusal: async () => 'The role check fails in 111111111111.' }),
      {},
      'instances',
    ],
    ['the previous step missing', 'prerequisite_missing', () => submitter, { toolId: 'qc-post', actionId: 'service-checks' }, 'instances'],
    [
      'a change ServiceNow refuses',
      'change_not_found',
      () =>
        submitterWith({ changes: { verify: async () => ({ ok: false, code: 'change_not_found', message: 'The change was not found.' }) } }),
      {},
      'change',
    ],
  ];

  it('two mutating requests racing for one host: the second is refused under the lock (locked), audited', async () => {
    // Both pass the early look (no lock yet) and meet at the ServiceNow check; the lock decides.
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothThere = new Promise<void>((resolve) => (release = resolve));
    const racing = submitterWith({
      changes: {
        verify: async (number) => {
          if (++arrived === 2) release();
          await bothThere;
          return { ok: true, change: { number } as never };
        },
      },
    });
    const one = com2[400]!.instanceId;
    const kernel = { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' };
    const results = await Promise.all(
      ['U0RACEA', 'U0RACEB'].map((user) => racing.submit(base(user, { actionId: 'kernel-staging', params: kernel, instanceText: one }))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const loser = results.findIndex((r) => !r.ok);
    expect(results[loser]).toMatchObject({ ok: false, code: 'locked', field: 'instances' });
    const { events, runs } = await refusalsOf(loser === 0 ? 'U0RACEA' : 'U0RACEB');
    expect(runs).toBe(0);
    expect(events).toMatchObject([{ run_id: null, action: 'request_refused', data: { code: 'locked', action: 'kernel-staging' } }]);
  }, 60_000);

  it.each(cases)(
    '%s: %s',
    async (_what, code, make, over, field) => {
      const user = `U0R${code.toUpperCase().replace(/_/gu, '')}`.slice(0, 20);
      const input = base(user, over);
      const result = await make().submit(input);
      expect(result).toMatchObject({ ok: false, code });
      if (result.ok) return;
      const { events, runs } = await refusalsOf(user);
      expect(runs).toBe(0);
      expect(events).toEqual([
        {
          run_id: null,
          action: 'request_refused',
          reason: result.message,
          // The gate records its own refusals (also on the slash command, before any form): no action or change yet.
          data: expect.objectContaining(
            code === 'not_requester'
              ? { code, tool: input.toolId, stage: 'submission' }
              : { code, field, tool: input.toolId, action: input.actionId, change: input.changeNumber, stage: 'submission' },
          ),
        },
      ]);
    },
    60_000,
  );
});
