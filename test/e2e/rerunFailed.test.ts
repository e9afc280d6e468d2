// Results grouped by cause and "Re-run failed" (issue 10, items 4 and 5), through the bot process, the fake
// Slack and SSM: the summary groups the failures by normalised cause; the parent's button opens the request
// modal prefilled (same tool, action, parameters, change) with `rerun:<run>`, which resolves at submit to
// exactly the failed, timed-out and undeliverable instances (or one cause group); the new request needs its
// own approval and is linked to the first run.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { causeKey } from '../../src/domain/failureCauses.ts';
import { makeInstances, type FakeBehavior, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import type { SlackView } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { blockActionsPayload } from '../helpers/slackPayloads.ts';
import { postInteraction } from '../helpers/slackRequest.ts';
import { ACCOUNTS, APPROVAL_CHANNEL, CHANGE, OPS_CHANNEL, SIGNING_SECRET, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  clickDecision,
  latestRunId,
  requestAndApprove,
  submitRequestModal,
  typeOps,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';

const result = (status: string, summary: string) => `checking\nPCM_RESULT ${JSON.stringify({ status, summary, details: {} })}\n`;
const base = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 10 });
const outcome = (i: number): FakeBehavior => {
  if (i < 4) return { status: 'Failed', stdout: result('fail', `/boot has ${[80, 12, 150, 7][i]} MB free <!channel>`) };
  if (i === 4) return { status: 'Failed', stdout: result('fail', 'sshd not running') };
  if (i === 5) return { status: 'TimedOut', runMs: 200 };
  if (i === 6) return { status: 'Undeliverable' };
  return { status: 'Success', stdout: result('ok', 'ready') };
};
const fleet: FakeInstance[] = base.map((inst, i) => ({ ...inst, behavior: outcome(i) }));
const ids = fleet.map((i) => i.instanceId);
const failedIds = ids.slice(0, 7).sort();
const bootIds = ids.slice(0, 4).sort();

const targetsOf = (s: Sandbox, runId: string) =>
  s.db.pool.anyFirst(
    sql.type(z.object({ id: z.string() }))`select instance_id as id from executions where run_id = ${runId} order by instance_id`,
  );
const rerunOf = (s: Sandbox, runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ r: z.string().nullable() }))`select rerun_of as r from runs where id = ${runId}`);

const paramsOf = (s: Sandbox, runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ p: z.unknown() }))`select params as p from runs where id = ${runId}`);

/** The run's parent message in the ops channel, once it shows `status`. */
const parentOf = (s: Sandbox, runId: string, status: RegExp) =>
  s.slack.waitFor(
    (f) => f.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(runId) && status.test(m.text ?? '')),
    { timeoutMs: 10_000 },
  );

/** Clicks "Re-run failed" on the parent as `user`; the modal the bot opened, if any. */
const clickRerun = async (s: Sandbox, runId: string, user: string): Promise<SlackView | undefined> => {
  const parent = await parentOf(s, runId, /partially failed/u);
  const before = s.slack.callsOf('views.open').length;
  const payload = blockActionsPayload({
    user,
    actionId: 'rerun_failed',
    message: { ts: parent.ts, blocks: parent.blocks ?? [], text: parent.text },
    channel: OPS_CHANNEL,
    triggerId: s.slack.issueTriggerId({ userId: user }),
  });
  const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
  await response.body?.cancel();
  expect(response.status).toBe(200);
  const opened = await s.slack.waitFor((f) => f.callsOf('views.open')[before], { timeoutMs: 3_000 }).catch(() => undefined);
  return opened ? (opened.response as { view: SlackView }).view : undefined;
};

describe('failure causes and re-run failed', () => {
  let s: Sandbox;
  let first: string;
  beforeAll(async () => {
    s = await startSandbox({
      instances: fleet,
      env: { TOOL_REQUESTER_GROUPS: JSON.stringify({ 'qc-prep': [USERS.requester, USERS.second] }) },
    });
    const done = await requestAndApprove(s, {
      command: '/qc-prep',
      values: { instances: ids.join('\n'), change: CHANGE, 'param:minBootFreeMb': '300' },
      requester: USERS.requester,
      approvers: [USERS.approver],
    });
    expect(done.status).toBe('partially_failed');
    first = done.runId;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('the summary groups failures by normalised cause, largest first, escaped', async () => {
    const parent = await parentOf(s, first, /partially failed/u);
    const summary = await s.slack.waitFor(
      (f) => f.thread(OPS_CHANNEL, parent.ts).find((r) => JSON.stringify(r.blocks ?? []).includes('Failures by cause')),
      { timeoutMs: 10_000 },
    );
    const text = JSON.stringify(summary.blocks);
    const section = /\*Failures by cause\*[^"]*/u.exec(text)?.[0] ?? '';
    const lines = section.split('\\n').slice(1);
    expect(lines[0]).toMatch(/^• \*4\* hosts: \/boot has N MB free &lt;!channel&gt;/u);
    expect(lines.slice(1).map((l) => /\*(\d+)\*/u.exec(l)?.[1])).toEqual(['1', '1', '1']);
    expect(section).toMatch(/sshd not running/u);
    expect(section).not.toContain('<!channel>');
  });

  it('Re-run failed opens the prefilled request; refused to someone who may not request the tool', async () => {
    expect(await clickRerun(s, first, USERS.outsider)).toBeUndefined();
    await s.slack.waitFor((f) => f.ephemerals(USERS.outsider).at(-1), { timeoutMs: 5_000 });

    const view = await clickRerun(s, first, USERS.second);
    if (!view) throw new Error('no modal');
    const json = JSON.stringify(view.blocks);
    expect(json).toContain(`"initial_value":"rerun:${first}"`);
    expect(json).toContain(`"initial_value":"${CHANGE}"`);
    expect(json).toContain(`rerun:${first}/${causeKey('failed', '/boot has N MB free <!channel>')}`);
    expect(json).toContain('"initial_option":{"text":{"type":"plain_text","text":"Initial QC"},"value":"initial-qc"}');
    // The first run's parameters, not the defaults.
    expect(json).toContain('"action_id":"param:minBootFreeMb","is_decimal_allowed":false,"initial_value":"300"');

    // Submitted as prefilled: a new request, pending its own approval, targeting exactly the failed set.
    const answer = await submitRequestModal(s, view, USERS.second, {});
    expect(answer.body).toBeUndefined();
    const rerun = await latestRunId(s);
    expect(rerun).not.toBe(first);
    expect(await waitForRunStatus(s, rerun, ['pending_approval'])).toBe('pending_approval');
    expect(await targetsOf(s, rerun)).toEqual(failedIds);
    expect(await rerunOf(s, rerun)).toBe(first);
    expect(await paramsOf(s, rerun)).toEqual(await paramsOf(s, first));
    const approval = await approvalMessageFor(s, rerun);
    expect(JSON.stringify(approval.blocks)).toContain(`Re-run of the failed instances of run \`${first}\``);
    expect((await typeOps(s, USERS.second, `show ${rerun}`)).all).toContain(`re-run of the failed instances of run \`${first}\``);

    // The /boot cause fixed meanwhile; approved by another person, it runs on the failed instances only.
    for (const id of bootIds) s.aws.setBehavior(id, { status: 'Success', stdout: result('ok', 'ready') });
    expect(await clickDecision(s, rerun, USERS.approver)).toBe(200);
    expect(await waitForRunStatus(s, rerun, ['succeeded', 'failed', 'partially_failed'])).toBe('partially_failed');
    const sent = s.aws.commands().filter((c) => c.comment.includes(rerun));
    expect(sent.flatMap((c) => c.instanceIds).sort()).toEqual(failedIds);
  });

  it('one cause group: rerun:<run>/<key> targets exactly that group', async () => {
    const view = await clickRerun(s, first, USERS.requester);
    if (!view) throw new Error('no modal');
    const key = causeKey('failed', '/boot has N MB free <!channel>');
    const answer = await submitRequestModal(s, view, USERS.requester, { instances: `rerun:${first}/${key}` });
    expect(answer.body).toBeUndefined();
    const rerun = await latestRunId(s);
    expect(await targetsOf(s, rerun)).toEqual(bootIds);
    expect(await rerunOf(s, rerun)).toBe(first);
    await s.slack.waitFor((f) => f.messages(APPROVAL_CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(rerun)), {
      timeoutMs: 10_000,
    });
  });
});
