// `/ops` (history, show, cancel), the Cancel button, App Home, and faults the person can quote.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeEphemeral } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { appHomeOpenedEvent, blockActionsPayload, blockSuggestionPayload } from '../helpers/slackPayloads.ts';
import { postEvent, postInteraction, postSlashCommand } from '../helpers/slackRequest.ts';
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
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';

const instances = defaultInstances();
let s: Sandbox;
/** A run requested by USERS.outsider (a member without any role), withdrawn at once. */
let theirs: string;

beforeAll(async () => {
  s = await startSandbox({ instances });
});
afterAll(async () => {
  await s?.close();
});

// ---------------------------------------------------------------- helpers

const submit = async (requester: string = USERS.requester): Promise<string> => {
  const view = await openRequestModal(s, '/qc-prep', requester);
  const answer = await submitRequestModal(s, view, requester, { instances: instances.map((i) => i.instanceId).join('\n'), change: CHANGE });
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

/** Types `/ops <text>` as `user`; returns the ephemeral answer (through the command's response_url). */
const ops = async (user: string, text: string): Promise<{ response_type?: string; text?: string; blocks?: unknown[]; all: string }> => {
  const url = s.slack.responseUrl({ user, channel: OPS_CHANNEL });
  const id = url.split('/').pop() ?? '';
  const response = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
    command: '/ops',
    text,
    user_id: user,
    channel_id: OPS_CHANNEL,
    response_url: url,
  });
  expect(response.status).toBe(200);
  const answer = await s.slack.waitFor((f) => f.responses(id)[0], { timeoutMs: 10_000 });
  expect(answer.status).toBe(200);
  return { ...(answer.body as { response_type?: string; text?: string; blocks?: unknown[] }), all: JSON.stringify(answer.body) };
};

const statusOf = async (runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
const auditActions = async (runId: string) =>
  s.db.pool.any(sql.type(
    z.object({ action: z.string(), actor: z.string(), from_status: z.string().nullable(), to_status: z.string().nullable() }),
  )`
    select action, actor, from_status, to_status from audit_events where run_id = ${runId} order by id`);
const parentOf = (runId: string) =>
  s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
const threadTexts = (runId: string): string[] => {
  const parent = parentOf(runId);
  return parent ? s.slack.thread(OPS_CHANNEL, parent.ts).map((m) => m.text ?? '') : [];
};
const approvalBlocks = (runId: string): string =>
  JSON.stringify(
    s.slack.messages(APPROVAL_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId))?.blocks ?? [],
  );
const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  await s.slack.waitFor(() => condition(), { timeoutMs });
};
const ephemeralAfter = async (user: string, since: number, pattern: RegExp): Promise<FakeEphemeral> =>
  s.slack.waitFor(
    (f) =>
      f
        .ephemerals(user)
        .slice(since)
        .find((e) => pattern.test(e.text ?? '')),
    { timeoutMs: 10_000 },
  );

// ---------------------------------------------------------------- tests

describe('/ops', () => {
  let done: string;
  let pending: string;

  beforeAll(async () => {
    // Someone without any role requests a run too (and withdraws it): theirs is the only run they may see.
    theirs = await submit(USERS.outsider);
    expect((await ops(USERS.outsider, `cancel ${theirs}`)).text).toMatch(/Cancelled/u);
    done = await submit();
    await clickDecision(s, done, USERS.approver);
    await waitForRunStatus(s, done, ['succeeded']);
    pending = await submit();
  });

  it('explains itself', async () => {
    expect((await ops(USERS.requester, '')).text).toMatch(/\/ops history \[n\]/u);
    const unknown = await ops(USERS.requester, 'launch rockets');
    expect(unknown.text).toMatch(/`launch` is not an \/ops command/u);
    expect(unknown.response_type).toBe('ephemeral');
  });

  it('history [n]: the newest runs first, ephemeral; approvers and admins see all of their tools, others only their own', async () => {
    for (const viewer of [USERS.approver, USERS.admin]) {
      const all = await ops(viewer, 'history');
      expect(all.response_type).toBe('ephemeral');
      expect(all.all.indexOf(pending)).toBeGreaterThan(-1);
      expect(all.all.indexOf(pending)).toBeLessThan(all.all.indexOf(done));
      expect(all.all.indexOf(done)).toBeLessThan(all.all.indexOf(theirs));
      const one = await ops(viewer, 'history 1');
      expect(one.all).toContain(pending);
      expect(one.all).not.toContain(done);
    }
    expect(s.slack.ephemerals(USERS.approver).some((e) => e.source === 'response_url' && JSON.stringify(e.blocks).includes(pending))).toBe(
      true,
    );

    const own = await ops(USERS.requester, 'history');
    expect(own.all).toContain(pending);
    expect(own.all).toContain(done);
    expect(own.all).not.toContain(theirs);

    // A member without a role sees their own run, and nobody else's requester, change or run id.
    const outsider = await ops(USERS.outsider, 'history');
    expect(outsider.response_type).toBe('ephemeral');
    expect(outsider.all).toContain(theirs);
    for (const hidden of [pending, done, `<@${USERS.requester}>`]) expect(outsider.all).not.toContain(hidden);
  });

  it('show <run>: status, people, results and the audit trail, from the first characters of the id', async () => {
    for (const viewer of [USERS.requester, USERS.approver, USERS.admin]) {
      const shown = await ops(viewer, `show ${done.slice(0, 8)}`);
      expect(shown.response_type).toBe('ephemeral');
      for (const part of [
        done,
        'succeeded',
        `<@${USERS.requester}>`,
        `<@${USERS.approver}>`,
        '(1 of 1)',
        CHANGE,
        'success',
        'Audit trail',
        '*requested*',
        '*approved*',
        '*command_sent*',
        '*finished*',
        'pending_approval → approved',
      ]) {
        expect(shown.all).toContain(part);
      }
    }
    expect((await ops(USERS.outsider, 'show deadbeef')).text).toMatch(/No run id starts with `deadbeef`\. Check it with `\/ops history`/u);
  });

  it('results at scale: the thread has the results CSV; show offers an instance picker that opens its output, and the CSV by DM — only to those who may see the run', async () => {
    const parent = parentOf(done);
    const [results] = await s.slack.waitFor(
      (f) => (f.filesIn(OPS_CHANNEL, parent?.ts).length > 0 ? f.filesIn(OPS_CHANNEL, parent?.ts) : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    expect((s.slack.fileContent(results?.id ?? '') ?? '').split('\r\n').filter((l) => l !== '')).toHaveLength(instances.length + 1);

    const shown = await ops(USERS.approver, `show ${done.slice(0, 8)}`);
    const message = { ts: '1700000000.000100', blocks: shown.blocks ?? [], channel: OPS_CHANNEL };
    const blockId = `results:${done}`;
    const suggest = async (user: string, value: string) => {
      const response = await postInteraction(
        s.bot.url,
        SIGNING_SECRET,
        blockSuggestionPayload({ user, actionId: 'view_output', blockId, value, message, channel: OPS_CHANNEL }),
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as { options: { text: { text: string }; value: string }[] }).options;
    };
    const options = await suggest(USERS.approver, '');
    expect(options.map((o) => o.value).sort()).toEqual(instances.map((i) => i.instanceId).sort());
    expect(await suggest(USERS.approver, instances[0]!.instanceId.slice(-6))).toHaveLength(1);
    expect(await suggest(USERS.outsider, '')).toEqual([]);

    const pick = async (user: string, instanceId: string) => {
      const triggerId = s.slack.issueTriggerId({ userId: user });
      const payload = blockActionsPayload({
        user,
        actionId: 'view_output',
        blockId,
        value: instanceId,
        message,
        channel: OPS_CHANNEL,
        triggerId,
      });
      expect((await postInteraction(s.bot.url, SIGNING_SECRET, payload)).status).toBe(200);
    };
    // What a host printed: markup that must stay text, a fence, and more than a modal holds, truncated by SSM.
    const lines = ['<!channel> ``` <https://evil|Approve>', ...Array.from({ length: 3000 }, (_, n) => `line ${n} ${'x'.repeat(60)}`)];
    await s.db.pool.query(sql.type(z.object({}))`
      update executions set stdout = ${lines.join('\n')}, stdout_truncated = true, stderr = 'warn: & done'
      where run_id = ${done} and instance_id = ${instances[1]!.instanceId}`);
    await pick(USERS.requester, instances[1]!.instanceId);
    const modal = await s.slack.waitFor(
      (f) => f.modalsOf(USERS.requester).find((v) => JSON.stringify(v.blocks).includes(instances[1]!.instanceId)),
      { timeoutMs: 10_000 },
    );
    const modalText = JSON.stringify(modal.blocks);
    expect(modalText).toContain('&lt;!channel&gt; ` ` ` &lt;https://evil|Approve&gt;');
    expect(modalText).toContain('line 0 x');
    expect(modalText).toMatch(/The bot cut the last \d+ line\(s\) of stdout here/u);
    expect(modalText).toContain('SSM truncated stdout itself');
    expect(modalText).toContain('warn: &amp; done');
    expect(s.slack.markup().filter((t) => t.where.startsWith('views.open'))).toEqual([]);

    const since = s.slack.ephemerals(USERS.outsider).length;
    await pick(USERS.outsider, instances[1]!.instanceId);
    await ephemeralAfter(USERS.outsider, since, /You can only see runs you requested/u);
    expect(s.slack.modalsOf(USERS.outsider).filter((v) => JSON.stringify(v.title).includes('Instance output'))).toEqual([]);

    const csv = blockActionsPayload({ user: USERS.admin, actionId: 'results_csv', blockId, message, channel: OPS_CHANNEL });
    expect((await postInteraction(s.bot.url, SIGNING_SECRET, csv)).status).toBe(200);
    const dm = s.slack.dmChannelOf(USERS.admin);
    const [file] = await s.slack.waitFor((f) => (f.filesIn(dm).length > 0 ? f.filesIn(dm) : undefined), { timeoutMs: 10_000 });
    expect(s.slack.fileContent(file!.id)?.startsWith('instance_id,name,account,region,partition,wave,status,')).toBe(true);
  });

  it("show <run>: someone else's run is refused to a member without a role, without its details", async () => {
    // The output picker's refusals earlier in this file are audited too: count only what this show adds.
    const looksOf = async () =>
      s.db.pool.any(sql.type(z.object({ run_id: z.string().nullable(), data: z.record(z.string(), z.unknown()) }))`
        select run_id::text, data from audit_events where actor = ${USERS.outsider} and action = 'view_refused' order by id`);
    const before = (await looksOf()).length;
    const refused = await ops(USERS.outsider, `show ${done.slice(0, 8)}`);
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toMatch(
      /You can only see runs you requested or runs of tools you approve\. Ask the requester or an approver of this tool\./u,
    );
    for (const hidden of [done, USERS.requester, USERS.approver, CHANGE, 'Audit trail', ...instances.map((i) => i.instanceId)])
      expect(refused.all).not.toContain(hidden);
    // Audited apart from the run's own trail (which says what happened to the run, not who was refused a look).
    expect((await looksOf()).slice(before)).toEqual([{ run_id: null, data: expect.objectContaining({ code: 'not_visible', run: done }) }]);
    expect((await ops(USERS.outsider, `show ${theirs}`)).all).toContain('Audit trail');
  });

  it('cancel <run>: the requester or an approver; a pending request is cancelled at once', async () => {
    expect((await ops(USERS.outsider, `cancel ${pending}`)).text).toMatch(
      /Only the requester or an approver of this tool can cancel this run\. Ask one of them\./u,
    );
    expect(await statusOf(pending)).toBe('pending_approval');

    expect((await ops(USERS.requester, `cancel ${pending.slice(0, 13)}`)).text).toMatch(/Cancelled `.*`; nothing ran/u);
    expect(await statusOf(pending)).toBe('cancelled');
    const events = await auditActions(pending);
    expect(events.find((e) => e.action === 'cancelled')).toMatchObject({
      actor: USERS.requester,
      from_status: 'pending_approval',
      to_status: 'cancelled',
    });
    expect(events.find((e) => e.action === 'cancel_refused')).toMatchObject({ actor: USERS.outsider });
    await until(() => !approvalBlocks(pending).includes('approve_run') && approvalBlocks(pending).includes('cancelled'));
    await until(() => threadTexts(pending).some((t) => t.includes(`Cancelled by <@${USERS.requester}> before approval; nothing ran.`)));
    await until(() => !JSON.stringify(parentOf(pending)?.blocks).includes('cancel_run'));
    const executions = await s.db.pool.anyFirst(
      sql.type(z.object({ status: z.string() }))`select status from executions where run_id = ${pending}`,
    );
    expect(new Set(executions)).toEqual(new Set(['not_sent']));

    expect((await ops(USERS.requester, `cancel ${pending}`)).text).toMatch(/already ended \(cancelled\); there is nothing to cancel/u);
    expect(s.aws.commands().filter((c) => c.comment.includes(pending))).toHaveLength(0);
  });
});

describe('the Cancel button on a running run', () => {
  it('asks the executor to stop: nothing more is sent, sent commands are cancelled, the run ends cancelled', async () => {
    for (const i of instances) s.aws.setBehavior(i.instanceId, { status: 'Success', runMs: 120_000 });
    try {
      const runId = await submit();
      await clickDecision(s, runId, USERS.approver);
      await waitForRunStatus(s, runId, ['running']);
      await until(() => s.aws.commands().filter((c) => c.comment.includes(runId)).length === 3);
      const parent = parentOf(runId);
      if (!parent) throw new Error('no parent message');
      await until(() => JSON.stringify(parentOf(runId)?.blocks).includes('cancel_run'));

      const since = s.slack.ephemerals(USERS.outsider).length;
      const click = async (user: string) => {
        const current = parentOf(runId) ?? parent;
        const payload = blockActionsPayload({
          user,
          actionId: 'cancel_run',
          message: { ts: current.ts, blocks: current.blocks ?? [], text: current.text },
          channel: OPS_CHANNEL,
        });
        const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
        expect(response.status).toBe(200);
      };
      await click(USERS.outsider);
      await ephemeralAfter(USERS.outsider, since, /Only the requester or an approver of this tool can cancel/u);
      expect(await statusOf(runId)).toBe('running');

      await click(USERS.approver);
      expect(await waitForRunStatus(s, runId, ['cancelled'], 20_000)).toBe('cancelled');
      const events = await auditActions(runId);
      expect(events.find((e) => e.action === 'cancel_requested')).toMatchObject({ actor: USERS.approver });
      expect(events.some((e) => e.to_status === 'cancelled')).toBe(true);
      const cancelCalls = s.aws.calls.filter((c) => c.operation === 'CancelCommand' && c.status === 200);
      expect(cancelCalls.length).toBeGreaterThanOrEqual(3);
      const executions = await s.db.pool.anyFirst(
        sql.type(z.object({ status: z.string() }))`select status from executions where run_id = ${runId}`,
      );
      expect(executions.every((st) => st === 'cancelled')).toBe(true);
      await until(() => threadTexts(runId).some((t) => t.includes(`<@${USERS.approver}> asked to cancel`)));
      await until(() => !JSON.stringify(parentOf(runId)?.blocks).includes('cancel_run'));
    } finally {
      for (const i of instances) s.aws.setBehavior(i.instanceId, undefined);
    }
  });
});

describe('App Home', () => {
  it('shows the approvals waiting for me and my recent runs', async () => {
    const runId = await submit();
    const open = async (user: string) => {
      const before = s.slack.callsOf('views.publish').filter((c) => c.args['user_id'] === user).length;
      const response = await postEvent(s.bot.url, SIGNING_SECRET, appHomeOpenedEvent(user));
      expect(response.status).toBe(200);
      await s.slack.waitFor((f) => f.callsOf('views.publish').filter((c) => c.args['user_id'] === user)[before], { timeoutMs: 10_000 });
      return JSON.stringify(s.slack.homeOf(user)?.blocks ?? []);
    };

    const approverHome = await open(USERS.approver);
    expect(approverHome).toContain('Approvals waiting for you* (1)');
    expect(approverHome).toContain(runId);

    const requesterHome = await open(USERS.requester);
    expect(requesterHome).toContain('Approvals waiting for you* (0)');
    expect(requesterHome).toContain('Your recent runs');
    expect(requesterHome).toContain(runId);

    const outsiderHome = await open(USERS.outsider);
    expect(outsiderHome).toContain('Nothing to approve');
    expect(outsiderHome).toContain(theirs);
    expect(outsiderHome).not.toContain(runId);

    await clickDecision(s, runId, USERS.approver);
    await waitForRunStatus(s, runId, ['succeeded']);
    expect(await open(USERS.approver)).toContain('Approvals waiting for you* (0)');
  });
});

describe('faults', () => {
  it('a fault is logged with a correlation id that the person sees', async () => {
    const runId = await submit();
    await s.db.pool.query(sql.type(z.object({}))`alter table settings rename to settings_unavailable`);
    try {
      const since = s.slack.ephemerals(USERS.admin).length;
      await postSlashCommand(s.bot.url, SIGNING_SECRET, {
        command: '/ops',
        text: 'freeze',
        user_id: USERS.admin,
        channel_id: OPS_CHANNEL,
        response_url: s.slack.responseUrl({ user: USERS.admin, channel: OPS_CHANNEL }),
      });
      const shown = await ephemeralAfter(USERS.admin, since, /Something went wrong on our side/u);
      const reference = /Reference: `([0-9a-f-]{36})`/u.exec(shown.text ?? '')?.[1];
      expect(reference).toBeDefined();
      expect(shown.text).toMatch(/give this reference to the bot operators/u);
      const logged = await s.bot.waitForOutput(new RegExp(reference ?? 'none', 'u'));
      expect(logged).toContain('slack listener fault');

      const sinceApprover = s.slack.ephemerals(USERS.approver).length;
      await clickDecision(s, runId, USERS.approver);
      const onClick = await ephemeralAfter(USERS.approver, sinceApprover, /Something went wrong on our side/u);
      expect(onClick.channel).toBe(APPROVAL_CHANNEL);
      const clickRef = /Reference: `([0-9a-f-]{36})`/u.exec(onClick.text ?? '')?.[1];
      expect(clickRef).not.toBe(reference);
      await s.bot.waitForOutput(new RegExp(clickRef ?? 'none', 'u'));
      expect(await statusOf(runId)).toBe('pending_approval');
    } finally {
      await s.db.pool.query(sql.type(z.object({}))`alter table settings_unavailable rename to settings`);
    }
  });
});
