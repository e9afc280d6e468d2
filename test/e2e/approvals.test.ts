// Four-eyes in Slack, end to end: signed requests to the bot process, fake Slack/AWS/ServiceNow, real PostgreSQL.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeEphemeral } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { blockActionsPayload, stateValuesForBlocks, viewSubmissionPayload, type InputValue } from '../helpers/slackPayloads.ts';
import { postInteraction, postSlashCommand } from '../helpers/slackRequest.ts';
import {
  APPROVAL_CHANNEL,
  CHANGE,
  defaultInstances,
  OPS_CHANNEL,
  SIGNING_SECRET,
  startSandbox,
  USERS,
  type Sandbox,
} from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  chooseAction,
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
  typeOps,
} from '../helpers/slackFlows.ts';

const instances = defaultInstances();
const ids = instances.map((i) => i.instanceId);
const SFT_GROUP = 'S0SFTTEAM01';
const SFT_REQUESTERS = 'S0SFTREQS01';
const QC_POST_REQUESTERS = 'S0QCPOSTRQ1';
const ELSEWHERE = 'C0ELSEWHERE';

let s: Sandbox;

beforeAll(async () => {
  s = await startSandbox({
    instances,
    env: {
      APPROVAL_TTL_MINUTES: '5',
      // SECOND_APPROVAL is not set: mutating actions need a second, different approver by default.
      TOOL_APPROVER_GROUPS: JSON.stringify({ 'sft-fix': SFT_GROUP }),
      TOOL_REQUESTER_GROUPS: JSON.stringify({ 'sft-fix': SFT_REQUESTERS, 'qc-post': QC_POST_REQUESTERS }),
      TOOL_ALLOWED_CHANNELS: JSON.stringify({ 'sft-fix': [OPS_CHANNEL] }),
    },
  });
  s.slack.setUsergroup(SFT_GROUP, [USERS.second]);
  s.slack.setUsergroup(SFT_REQUESTERS, [USERS.requester]);
  s.slack.setUsergroup(QC_POST_REQUESTERS, [USERS.requester]);
});
afterAll(async () => {
  await s?.close();
});

// ---------------------------------------------------------------- helpers

const submit = async (
  o: { command?: string; action?: string; values?: Record<string, InputValue>; requester?: string } = {},
): Promise<string> => {
  const requester = o.requester ?? USERS.requester;
  let view = await openRequestModal(s, o.command ?? '/qc-prep', requester);
  if (o.action) view = await chooseAction(s, view, requester, o.action);
  const answer = await submitRequestModal(s, view, requester, { instances: ids.join('\n'), change: CHANGE, ...o.values });
  if (answer.body !== undefined) {
    // The checks outlasted Slack's 3 s: the modal said "Checking…" and is updated with the outcome.
    expect(answer.body).toMatchObject({ response_action: 'update' });
    await s.slack.waitFor((f) => JSON.stringify(f.views.get(view.id)?.blocks ?? []).includes('was submitted for approval'), {
      timeoutMs: 30_000,
    });
  }
  const runId = await latestRunId(s);
  await approvalMessageFor(s, runId);
  return runId;
};

const statusOf = async (runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);

const audit = async (runId: string) =>
  s.db.pool.any(sql.type(
    z.object({
      action: z.string(),
      actor: z.string(),
      from_status: z.string().nullable(),
      to_status: z.string().nullable(),
      reason: z.string().nullable(),
      correlation_id: z.string().nullable(),
      data: z.record(z.string(), z.unknown()),
    }),
  )`
    select action, actor, from_status, to_status, reason, correlation_id, data from audit_events where run_id = ${runId} order by id`);

/** The next ephemeral `user` sees that matches, among those that arrive after `since` (a count). */
const ephemeralAfter = async (user: string, since: number, pattern: RegExp): Promise<FakeEphemeral> =>
  s.slack.waitFor(
    (f) =>
      f
        .ephemerals(user)
        .slice(since)
        .find((e) => pattern.test(e.text ?? '')),
    { timeoutMs: 10_000 },
  );

const commandsFor = (runId: string) => s.aws.commands().filter((c) => c.comment.includes(runId));

/** The run's thread replies in the requester's channel, as they are now. */
const threadTexts = (runId: string): string[] => {
  const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
  return parent ? s.slack.thread(OPS_CHANNEL, parent.ts).map((m) => m.text ?? '') : [];
};

/** The approval message's blocks as they are now (after every chat.update). */
const approvalBlocks = (runId: string): string =>
  JSON.stringify(
    s.slack.messages(APPROVAL_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId))?.blocks ?? [],
  );

/** Clicks Approve on the approval message as it was first posted (a stale copy, buttons still there). */
const clickStaleApprove = async (runId: string, user: string): Promise<void> => {
  const posted = await approvalMessageFor(s, runId);
  const first = posted.history[0] ?? posted;
  const response = await postInteraction(
    s.bot.url,
    SIGNING_SECRET,
    blockActionsPayload({
      user,
      actionId: 'approve_run',
      message: { ts: posted.ts, blocks: first.blocks ?? [], text: first.text },
      channel: APPROVAL_CHANNEL,
    }),
  );
  expect(response.status).toBe(200);
};

/** Waits until `condition()` holds (the bot's Slack writes are asynchronous and coalesced). */
const until = async (condition: () => boolean): Promise<void> => {
  await s.slack.waitFor(() => condition(), { timeoutMs: 10_000 });
};

const ops = async (user: string, text: string): Promise<string> => (await typeOps(s, user, text)).all;

// ---------------------------------------------------------------- tests

describe('who may approve', () => {
  it('refuses self-approval and non-approvers with what to do next, and audits each attempt', async () => {
    const runId = await submit();
    const mine = s.slack.ephemerals(USERS.requester).length;
    const theirs = s.slack.ephemerals(USERS.outsider).length;
    await clickDecision(s, runId, USERS.requester);
    await clickDecision(s, runId, USERS.outsider);
    await ephemeralAfter(USERS.requester, mine, /cannot approve your own request\. Ask another approver\./u);
    await ephemeralAfter(USERS.outsider, theirs, /not in the approvers group for this tool\. Ask a member/u);
    expect(await statusOf(runId)).toBe('pending_approval');
    const refused = (await audit(runId)).filter((a) => a.action === 'approval_refused');
    expect(refused.map((a) => [a.actor, a.data['code']]).sort()).toEqual([
      [USERS.outsider, 'not_approver'],
      [USERS.requester, 'self_approval'],
    ]);
    expect(refused.every((a) => a.correlation_id && a.reason)).toBe(true);
    expect(commandsFor(runId)).toHaveLength(0);
    await ops(USERS.requester, `cancel ${runId}`);
  });

  it('a tool with its own approver group: only its members approve, the global approvers do not', async () => {
    const runId = await submit({ command: '/sft-fix', values: { instances: ids[0] ?? '' } });
    const since = s.slack.ephemerals(USERS.approver).length;
    await clickDecision(s, runId, USERS.approver);
    await ephemeralAfter(USERS.approver, since, /not in the approvers group for this tool/u);
    expect(await statusOf(runId)).toBe('pending_approval');
    await clickDecision(s, runId, USERS.second);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBeTruthy();
    expect(commandsFor(runId)).toHaveLength(1);
  });
});

describe('who may request', () => {
  /** Types a tool's command; returns the bot's ephemeral answer, or 'opened' when it opened the request form. */
  const typeCommand = async (command: string, user: string, channel = OPS_CHANNEL): Promise<string> => {
    const url = s.slack.responseUrl({ user, channel });
    const id = url.split('/').pop() ?? '';
    const opened = s.slack.callsOf('views.open').length;
    const response = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
      command,
      text: '',
      user_id: user,
      channel_id: channel,
      response_url: url,
      trigger_id: s.slack.issueTriggerId({ userId: user }),
    });
    expect(response.status).toBe(200);
    const outcome = await s.slack.waitFor((f) => f.responses(id)[0] ?? f.callsOf('views.open')[opened], { timeoutMs: 10_000 });
    return 'method' in outcome ? 'opened' : JSON.stringify(outcome.body);
  };
  const runCount = async () => s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs`);
  const refusals = async () =>
    (
      await s.db.pool.any(sql.type(
        z.object({
          actor: z.string(),
          run_id: z.string().nullable(),
          reason: z.string().nullable(),
          data: z.record(z.string(), z.unknown()),
        }),
      )`
      select actor, run_id, reason, data from audit_events where action = 'request_refused' order by id`)
    ).map((e) => [e.actor, e.data['code'], e.data['tool'], e.data['channel'], e.data['stage'], e.run_id === null && Boolean(e.reason)]);

  it("only the tool's requesters, only in its channels: refused before the form opens and again on submission; audited", async () => {
    const before = await runCount();
    const outsider = await typeCommand('/sft-fix', USERS.outsider);
    expect(outsider).toMatch(/"response_type":"ephemeral"/u);
    expect(outsider).toMatch(/You are not in the requesters group of `\/sft-fix`\. Ask one of its approvers or a bot admin to add you\./u);
    const elsewhere = await typeCommand('/sft-fix', USERS.requester, ELSEWHERE);
    expect(elsewhere).toMatch(/`\/sft-fix` can only be requested in <#C0OPSCHAN>\. Run it there\./u);
    // A tool without requesters or channels configured: anyone, anywhere (as before).
    expect(await typeCommand('/qc-prep', USERS.outsider, ELSEWHERE)).toBe('opened');

    // The server checks the submission again, whatever the form says.
    const view = await openRequestModal(s, '/sft-fix', USERS.requester);
    const values = { instances: ids[0] ?? '', change: CHANGE };
    const forgedUser = await submitRequestModal(s, view, USERS.outsider, values);
    expect(forgedUser.body).toMatchObject({
      response_action: 'errors',
      errors: { action: expect.stringMatching(/not in the requesters group of `\/sft-fix`/u) },
    });
    const moved = { ...view, private_metadata: JSON.stringify({ ...JSON.parse(view.private_metadata ?? '{}'), channel: ELSEWHERE }) };
    const forgedChannel = await postInteraction(
      s.bot.url,
      SIGNING_SECRET,
      viewSubmissionPayload({ user: USERS.requester, view: moved, stateValues: stateValuesForBlocks(view.blocks, values) }),
    );
    expect(await forgedChannel.json()).toMatchObject({
      response_action: 'errors',
      errors: { action: expect.stringMatching(/can only be requested in/u) },
    });
    expect(await runCount()).toBe(before);

    expect(await refusals()).toEqual([
      [USERS.outsider, 'not_requester', 'sft-fix', OPS_CHANNEL, 'command', true],
      [USERS.requester, 'wrong_channel', 'sft-fix', ELSEWHERE, 'command', true],
      [USERS.outsider, 'not_requester', 'sft-fix', OPS_CHANNEL, 'submission', true],
      [USERS.requester, 'wrong_channel', 'sft-fix', ELSEWHERE, 'submission', true],
    ]);
  });

  it('refuses when Slack cannot confirm the requesters group (fail closed), and says so', async () => {
    s.slack.failNext('usergroups.users.list', 'internal_error', { times: Number.POSITIVE_INFINITY });
    try {
      expect(await typeCommand('/qc-post', USERS.requester)).toMatch(
        /The requesters of `\/qc-post` could not be verified with Slack just now, so nothing was requested/u,
      );
    } finally {
      s.slack.heal('usergroups.users.list');
    }
    expect(await typeCommand('/qc-post', USERS.requester)).toBe('opened');
    expect((await refusals()).at(-1)).toEqual([USERS.requester, 'requesters_unverified', 'qc-post', OPS_CHANNEL, 'command', true]);
  });
});

describe('plan binding', () => {
  it('an Approve button carrying another digest approves nothing', async () => {
    const runId = await submit();
    const posted = await approvalMessageFor(s, runId);
    const forged = JSON.parse(
      JSON.stringify(posted.blocks).replace(new RegExp(`${runId}:[0-9a-f]{64}`, 'u'), `${runId}:${'0'.repeat(64)}`),
    ) as unknown[];
    expect(JSON.stringify(forged)).toContain(`${runId}:${'0'.repeat(64)}`);
    const since = s.slack.ephemerals(USERS.approver).length;
    const payload = blockActionsPayload({
      user: USERS.approver,
      actionId: 'approve_run',
      message: { ts: posted.ts, blocks: forged, text: posted.text },
      channel: APPROVAL_CHANNEL,
    });
    const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
    expect(response.status).toBe(200);
    await ephemeralAfter(USERS.approver, since, /The plan changed since this message was posted; approve the current request instead\./u);
    expect(await statusOf(runId)).toBe('pending_approval');
    expect((await audit(runId)).find((a) => a.action === 'approval_refused')?.data['code']).toBe('digest_mismatch');
    const approvals = await s.db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`select count(*)::int as n from approvals where run_id = ${runId}`,
    );
    expect(approvals).toBe(0);
    expect(commandsFor(runId)).toHaveLength(0);

    // The real button still works.
    await clickDecision(s, runId, USERS.approver);
    await waitForRunStatus(s, runId, ['succeeded']);
  });
});

describe('second approval for mutating actions (SECOND_APPROVAL=mutating, the default)', () => {
  it('needs two different approvers; the same person twice is refused; one transition, one dispatch', async () => {
    const runId = await submit({ action: 'kernel-staging', values: { 'param:targetKernel': '5.14.0-427.13.1.el9_4.x86_64' } });
    const required = await s.db.pool.oneFirst(
      sql.type(z.object({ approvals_required: z.number() }))`select approvals_required from runs where id = ${runId}`,
    );
    expect(required).toBe(2);
    expect(approvalBlocks(runId)).toContain('needs 2 different approvers');

    await clickDecision(s, runId, USERS.approver);
    await until(() => approvalBlocks(runId).includes(`Approved by <@${USERS.approver}> (1 of 2)`));
    await until(() =>
      threadTexts(runId).some((t) => t.includes(`Approval 1 of 2 by <@${USERS.approver}>; waiting for a different approver`)),
    );
    expect(await statusOf(runId)).toBe('pending_approval');
    expect(approvalBlocks(runId)).toContain('approve_run');

    const since = s.slack.ephemerals(USERS.approver).length;
    await clickDecision(s, runId, USERS.approver);
    await ephemeralAfter(USERS.approver, since, /a second approval must come from a different person/u);
    expect(await statusOf(runId)).toBe('pending_approval');
    expect(commandsFor(runId)).toHaveLength(0);

    await clickDecision(s, runId, USERS.second);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');
    const events = await audit(runId);
    expect(events.filter((a) => a.action === 'approval_recorded').map((a) => a.actor)).toEqual([USERS.approver, USERS.second]);
    expect(events.filter((a) => a.action === 'approved')).toMatchObject([
      { actor: USERS.second, from_status: 'pending_approval', to_status: 'approved' },
    ]);
    // Kernel Staging rolls out canary first (one instance per account/region: 3 commands), then the one left (1).
    expect(commandsFor(runId)).toHaveLength(4);
    expect(new Set(commandsFor(runId).flatMap((c) => c.instanceIds)).size).toBe(commandsFor(runId).flatMap((c) => c.instanceIds).length);
  });

  it('read-only actions still need one approval', async () => {
    const runId = await submit();
    expect(
      await s.db.pool.oneFirst(
        sql.type(z.object({ approvals_required: z.number() }))`select approvals_required from runs where id = ${runId}`,
      ),
    ).toBe(1);
    await ops(USERS.requester, `cancel ${runId}`);
  });
});

describe('reject', () => {
  it('asks for a reason in a modal, posts it in the thread and keeps it with the decision', async () => {
    const runId = await submit();
    const before = s.slack.callsOf('views.open').length;
    await clickDecision(s, runId, USERS.approver, 'reject_run');
    const opened = await s.slack.waitFor((f) => f.callsOf('views.open')[before], { timeoutMs: 10_000 });
    const modal = (opened.response as { view: { id: string } }).view;
    const view = s.slack.views.get(modal.id);
    if (!view) throw new Error('no reject modal');
    expect(view.callback_id).toBe('reject_reason');

    // Too short a reason is refused in the modal.
    const short = await postInteraction(
      s.bot.url,
      SIGNING_SECRET,
      viewSubmissionPayload({ user: USERS.approver, view, values: { value: 'no' } }),
    );
    expect(await short.json()).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringMatching(/reason/u) } });

    const reason = 'Wrong change window for these hosts';
    const response = await postInteraction(
      s.bot.url,
      SIGNING_SECRET,
      viewSubmissionPayload({ user: USERS.approver, view, values: { value: reason } }),
    );
    expect(response.status).toBe(200);
    expect(await waitForRunStatus(s, runId, ['rejected'])).toBe('rejected');
    await until(() => threadTexts(runId).includes(`:no_entry: Rejected by <@${USERS.approver}>: ${reason}.`));
    await until(() => !approvalBlocks(runId).includes('approve_run') && approvalBlocks(runId).includes(reason));
    expect(approvalBlocks(runId)).toContain('rejected');
    expect((await audit(runId)).find((a) => a.action === 'rejected')).toMatchObject({
      actor: USERS.approver,
      reason,
      from_status: 'pending_approval',
      to_status: 'rejected',
    });
    const row = await s.db.pool.one(
      sql.type(
        z.object({ decision: z.string(), reason: z.string().nullable() }),
      )`select decision, reason from approvals where run_id = ${runId}`,
    );
    expect(row).toEqual({ decision: 'rejected', reason });

    // Approving a rejected request is refused.
    const since = s.slack.ephemerals(USERS.second).length;
    await clickStaleApprove(runId, USERS.second);
    await ephemeralAfter(USERS.second, since, /already rejected; nothing to approve/u);
    expect(commandsFor(runId)).toHaveLength(0);
  });

  it('someone who may not reject is told so and no modal opens', async () => {
    const runId = await submit();
    const before = s.slack.callsOf('views.open').length;
    const since = s.slack.ephemerals(USERS.outsider).length;
    await clickDecision(s, runId, USERS.outsider, 'reject_run');
    await ephemeralAfter(USERS.outsider, since, /Only an approver of this tool \(or the requester\) can reject/u);
    expect(s.slack.callsOf('views.open')).toHaveLength(before);
    expect(await statusOf(runId)).toBe('pending_approval');
    await ops(USERS.requester, `cancel ${runId}`);
  });
});

describe('approval expiry', () => {
  it('expires after APPROVAL_TTL_MINUTES: buttons removed, requester told, approval refused', async () => {
    const runId = await submit();
    const times = await s.db.pool.one(
      sql.type(
        z.object({ created_at: z.number(), approval_expires_at: z.number() }),
      )`select created_at, approval_expires_at from runs where id = ${runId}`,
    );
    expect(Math.round((times.approval_expires_at - times.created_at) / 60_000)).toBe(5);

    // Time travel instead of waiting five minutes: the deadline is now in the past.
    await s.db.pool.query(sql.type(z.object({}))`update runs set approval_expires_at = now() - interval '1 second' where id = ${runId}`);
    expect(await waitForRunStatus(s, runId, ['expired'], 10_000)).toBe('expired');
    await until(() =>
      threadTexts(runId).some((t) => t.includes(`<@${USERS.requester}> your request expired without approval. Submit it again`)),
    );
    await until(() => !approvalBlocks(runId).includes('approve_run') && approvalBlocks(runId).includes('expired'));
    expect((await audit(runId)).find((a) => a.action === 'expired')).toMatchObject({
      from_status: 'pending_approval',
      to_status: 'expired',
    });

    const since = s.slack.ephemerals(USERS.approver).length;
    // An old copy of the message (still with its buttons) is clicked: refused.
    await clickStaleApprove(runId, USERS.approver);
    await ephemeralAfter(USERS.approver, since, /already expired; nothing to approve/u);
    expect(commandsFor(runId)).toHaveLength(0);
  });
});

describe('change freeze', () => {
  it('blocks approvals while on, is shown on open approval messages, and only admins switch it (the others audited)', async () => {
    const runId = await submit();
    expect(approvalBlocks(runId)).not.toContain('Change freeze is on');

    expect(await ops(USERS.approver, 'freeze on not an admin')).toMatch(
      /Only the bot admins \(ADMIN_USER_IDS\) can switch the change freeze/u,
    );
    expect(await ops(USERS.admin, 'freeze on Black Friday code freeze')).toMatch(/Change freeze is on: Black Friday code freeze/u);
    await until(() => approvalBlocks(runId).includes('Change freeze is on'));
    expect(approvalBlocks(runId)).toContain('Black Friday code freeze');
    await s.slack.waitFor(
      (f) => f.messages(APPROVAL_CHANNEL).find((m) => /turned the change freeze \*on\*: Black Friday code freeze/u.test(m.text ?? '')),
      { timeoutMs: 10_000 },
    );
    expect(await ops(USERS.outsider, 'freeze')).toMatch(/The change freeze is on: Black Friday code freeze/u);

    const since = s.slack.ephemerals(USERS.approver).length;
    await clickDecision(s, runId, USERS.approver);
    await ephemeralAfter(USERS.approver, since, /A change freeze is on \(Black Friday code freeze\): no approvals until it is lifted/u);
    expect(await statusOf(runId)).toBe('pending_approval');
    expect((await audit(runId)).some((a) => a.action === 'approval_refused' && a.data['code'] === 'frozen')).toBe(true);

    // A new request during the freeze shows it at once.
    const during = await submit();
    expect(approvalBlocks(during)).toContain('Change freeze is on');

    expect(await ops(USERS.outsider, 'freeze off')).toMatch(/Only the bot admins/u);
    expect(await ops(USERS.admin, 'freeze off')).toMatch(/Change freeze lifted/u);
    await until(() => !approvalBlocks(runId).includes('Change freeze is on'));
    const freezeEvents = await s.db.pool.any(sql.type(z.object({ action: z.string(), actor: z.string(), reason: z.string().nullable() }))`
      select action, actor, reason from audit_events where action like 'freeze_%' order by id`);
    const refusedSwitch = { action: 'freeze_refused', reason: expect.stringMatching(/Only the bot admins/u) };
    expect(freezeEvents).toEqual([
      { ...refusedSwitch, actor: USERS.approver },
      { action: 'freeze_on', actor: USERS.admin, reason: 'Black Friday code freeze' },
      { ...refusedSwitch, actor: USERS.outsider },
      { action: 'freeze_off', actor: USERS.admin, reason: 'Black Friday code freeze' },
    ]);

    await clickDecision(s, runId, USERS.approver);
    expect(await waitForRunStatus(s, runId, ['succeeded'])).toBe('succeeded');
    await ops(USERS.requester, `cancel ${during}`);
  });
});
