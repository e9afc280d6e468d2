// Issue 11: every Slack message the bot owes is in the outbox with the state change that owes it, so a
// crash or a Slack outage of any length loses nothing, the executor never waits for Slack, and 429s are
// honoured. Driven end to end: the real bot process, the real WebClient against the strict fake Slack.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeMessage } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { APPROVAL_CHANNEL, CHANGE, defaultInstances, OPS_CHANNEL, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';

const instances = defaultInstances();
const FOREVER = Number.POSITIVE_INFINITY;

const shown = (m: FakeMessage): string => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

const submit = async (s: Sandbox): Promise<string> => {
  const view = await openRequestModal(s, '/qc-prep', USERS.requester);
  const answer = await submitRequestModal(s, view, USERS.requester, {
    instances: instances.map((i) => i.instanceId).join('\n'),
    change: CHANGE,
  });
  expect(answer.body).toBeUndefined();
  const runId = await latestRunId(s);
  await approvalMessageFor(s, runId);
  return runId;
};

const parentOf = (s: Sandbox, runId: string): FakeMessage | undefined =>
  s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && shown(m).includes(runId));

/** The run's thread once its final summary is there (replies in posting order). */
const finishedThread = async (s: Sandbox, runId: string, timeoutMs = 30_000): Promise<FakeMessage[]> =>
  s.slack.waitFor(
    (f) => {
      const parent = parentOf(s, runId);
      const replies = parent ? f.thread(OPS_CHANNEL, parent.ts) : [];
      // The last thing a run owes its thread: the per-instance results file, after the summary.
      return replies.some((r) => /Per-instance results/u.test(shown(r))) ? replies : undefined;
    },
    { timeoutMs },
  );

/** Submits and approves a run and waits for its "Started" reply in the thread. */
const approvedAndStarted = async (s: Sandbox): Promise<string> => {
  const runId = await submit(s);
  expect(await clickDecision(s, runId, USERS.approver)).toBe(200);
  await s.slack.waitFor(
    () => {
      const parent = parentOf(s, runId);
      return parent && s.slack.thread(OPS_CHANNEL, parent.ts).some((r) => /Started/u.test(shown(r)));
    },
    { timeoutMs: 10_000 },
  );
  return runId;
};

/** Slack is down for the bot's messages: every post and update answers HTTP 500 until `heal`. */
const slackDown = (s: Sandbox): void => {
  s.slack.failNext('chat.postMessage', 'internal_error', { times: FOREVER, status: 500 });
  s.slack.failNext('chat.update', 'internal_error', { times: FOREVER, status: 500 });
};
const slackBack = (s: Sandbox): void => {
  s.slack.heal('chat.postMessage');
  s.slack.heal('chat.update');
};

/** The whole thread a run owes, in order, each exactly once, and the parent and approval showing the end. */
const expectEverythingDelivered = async (s: Sandbox, runId: string): Promise<void> => {
  const thread = await finishedThread(s, runId);
  const order = [/Submitted by/u, /Approved by/u, /Started: sending to 4 instance/u, /Finished/u, /Per-instance results/u];
  expect(thread.map(shown).map((t) => order.findIndex((re) => re.test(t)))).toEqual([0, 1, 2, 3, 4]);
  expect(s.slack.filesIn(OPS_CHANNEL, parentOf(s, runId)?.ts)).toHaveLength(1);
  expect(shown(thread[3] as FakeMessage)).toMatch(/succeeded/u);
  expect((thread[3] as FakeMessage).text).toMatch(/: \*4\* \(of 4\)$/u);
  const parent = await s.slack.waitFor(
    () => {
      const p = parentOf(s, runId);
      return p && /succeeded/iu.test(p.text ?? '') ? p : undefined;
    },
    { timeoutMs: 10_000 },
  );
  expect(parent.text).toMatch(/succeeded/u);
  const approval = await approvalMessageFor(s, runId);
  expect(shown(approval)).toMatch(/Approved by/u);
  expect(JSON.stringify(approval.blocks)).not.toContain('approve_run');
  // Slack shows a message a moment before the delivery loop records it as sent: wait for the record.
  const unsent = async (): Promise<number> =>
    s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      select count(*)::int as n from slack_outbox where run_id = ${runId} and state not in ('sent')`);
  for (let i = 0; i < 100 && (await unsent()) > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
  expect(await unsent()).toBe(0);
};

describe('the Slack outbox (issue 11)', () => {
  let s: Sandbox;
  beforeAll(async () => {
    // Scripts run 1.5 s: a run seen started is still running when the test takes Slack away (on a loaded machine too).
    s = await startSandbox({ instances, env: { SLACK_RETRY_MAX_SECONDS: '1' }, aws: { defaultRunMs: 1_500 } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('killed (SIGKILL) after the run is final in the database but before Slack heard of it, the restarted bot posts the summary', async () => {
    const runId = await approvedAndStarted(s);
    slackDown(s);
    try {
      expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');
    } finally {
      await s.bot.kill();
    }
    const owed = await s.db.pool.any(sql.type(z.object({ kind: z.string(), state: z.string() }))`
      select kind, state from slack_outbox where run_id = ${runId} and state = 'pending' order by id`);
    expect(owed.map((r) => r.kind)).toContain('run_reply');
    const parentTs = parentOf(s, runId)?.ts ?? '';
    expect(s.slack.thread(OPS_CHANNEL, parentTs).some((m) => /Finished/u.test(shown(m)))).toBe(false);

    slackBack(s);
    // The killed process may have held a claim on the summary (mid-attempt): it lapses within the claim lease (15 s).
    await s.restart();
    await expectEverythingDelivered(s, runId);
  });

  it('killed (SIGKILL) while Slack had accepted the summary but not answered, the restarted bot finds it and posts nothing twice', async () => {
    const runId = await approvedAndStarted(s);
    // The next post is the final summary: Slack takes it, and the bot dies waiting for the answer.
    s.slack.stallNext('chat.postMessage');
    await s.slack.waitFor(() => s.slack.callsOf('chat.postMessage').some((c) => c.status === 0), { timeoutMs: 30_000 });
    await s.bot.kill();
    const parentTs = parentOf(s, runId)?.ts ?? '';
    expect(s.slack.thread(OPS_CHANNEL, parentTs).filter((m) => /Finished/u.test(shown(m)))).toHaveLength(1);

    // Its claim lapses within the claim lease (15 s); the restarted bot looks before it posts.
    await s.restart();
    await expectEverythingDelivered(s, runId);
    expect(s.bot.output.join('\n')).toMatch(/an earlier attempt had posted this message; not posting it again/u);
  });

  it('Slack answering 500 from before the approval until after the run: the run does not wait, and every owed message arrives afterwards in order', async () => {
    const runId = await submit(s);
    const parentTs = await s.slack.waitFor(
      () => {
        const parent = parentOf(s, runId);
        return parent && s.slack.thread(OPS_CHANNEL, parent.ts).some((r) => /Submitted by/u.test(shown(r))) ? parent.ts : undefined;
      },
      { timeoutMs: 10_000 },
    );
    slackDown(s);
    try {
      const sendsBefore = s.aws.calls.filter((c) => c.operation === 'SendCommand').length;
      expect(await clickDecision(s, runId, USERS.approver)).toBe(200);
      // The whole run happens while Slack is away: dispatch never waits for a post.
      expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'], 10_000)).toBe('succeeded');
      expect(s.aws.calls.filter((c) => c.operation === 'SendCommand').length).toBeGreaterThan(sendsBefore);
      const failedCalls = s.slack.calls.filter((c) => c.method.startsWith('chat.') && c.status === 500).length;
      // Still down after several attempts (more than the Web API client's own retries would make for one message).
      await s.slack.waitFor(
        (f) => f.calls.filter((c) => c.method.startsWith('chat.') && c.status === 500).length >= failedCalls + 6 || undefined,
        { timeoutMs: 15_000 },
      );
      expect(s.slack.thread(OPS_CHANNEL, parentTs).filter((m) => shown(m).includes('Approved by'))).toHaveLength(0);
    } finally {
      slackBack(s);
    }
    await expectEverythingDelivered(s, runId);
  });

  it('a 429 storm: no post or update is made inside a Retry-After window, and everything is delivered', async () => {
    const callsBefore = s.slack.calls.length;
    s.slack.rateLimit('chat.postMessage', { times: 4, retryAfterSeconds: 1 });
    s.slack.rateLimit('chat.update', { times: 3, retryAfterSeconds: 1 });
    const runId = await submit(s);
    expect(await clickDecision(s, runId, USERS.approver)).toBe(200);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');
    await expectEverythingDelivered(s, runId);

    const calls = s.slack.calls.slice(callsBefore);
    for (const method of ['chat.postMessage', 'chat.update']) {
      const mine = calls.filter((c) => c.method === method);
      const limited = mine.filter((c) => c.status === 429);
      expect(limited.length, method).toBe(method === 'chat.postMessage' ? 4 : 3);
      for (const refusal of limited) {
        const windowEnd = refusal.at.getTime() + 1_000;
        const inside = mine.filter((c) => c.at > refusal.at && c.at.getTime() < windowEnd);
        expect(inside.map((c) => `${c.method} ${c.at.toISOString()} after 429 at ${refusal.at.toISOString()}`)).toEqual([]);
      }
    }
  });

  it('a message Slack refuses for good (channel_not_found) is given up, recorded and audited, and the requester is told in a DM', async () => {
    await s.bot.stop();
    await s.restart({ APPROVAL_CHANNEL_ID: 'C0GONE00001' });
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    const answer = await submitRequestModal(s, view, USERS.requester, {
      instances: instances.map((i) => i.instanceId).join('\n'),
      change: CHANGE,
    });
    expect(answer.body).toBeUndefined();
    const runId = await latestRunId(s);
    const dm = s.slack.dmChannelOf(USERS.requester);
    const notice = await s.slack.waitFor((f) => f.messages(dm).find((m) => (m.text ?? '').includes(runId)), { timeoutMs: 10_000 });
    expect(notice.text).toContain('<#C0GONE00001>');
    expect(notice.text).toContain('channel_not_found');
    // The target list file belongs in the approval's thread: without the approval it is given up too (one DM for both).
    const failedRows = () =>
      s.db.pool.any(sql.type(z.object({ kind: z.string(), last_error: z.string().nullable() }))`
        select kind, last_error from slack_outbox where run_id = ${runId} and state = 'failed' order by id`);
    for (let i = 0; i < 100 && (await failedRows()).length < 2; i += 1) await new Promise((r) => setTimeout(r, 100));
    const failed = await failedRows();
    expect(failed).toEqual([
      { kind: 'approval', last_error: 'channel_not_found' },
      { kind: 'file', last_error: 'the message this file belongs under was never posted' },
    ]);
    const audited = await s.db.pool.anyFirst(sql.type(z.object({ reason: z.string().nullable() }))`
      select reason from audit_events where run_id = ${runId} and action = 'slack_message_failed' order by id`);
    expect(audited).toEqual(['channel_not_found', 'the message this file belongs under was never posted']);
    // The run's own thread is unaffected.
    await s.slack.waitFor(
      () => {
        const parent = parentOf(s, runId);
        return parent && s.slack.thread(OPS_CHANNEL, parent.ts).some((r) => /Submitted by/u.test(shown(r)));
      },
      { timeoutMs: 10_000 },
    );
    expect(s.slack.messages(APPROVAL_CHANNEL).some((m) => shown(m).includes(runId))).toBe(false);
  });
});
