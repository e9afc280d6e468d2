// Exactly once: 100 concurrent Approve clicks (double clicks, several approvers) spread over two bot
// processes (two replicas on one database) produce one approved transition and one set of SendCommands.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { blockActionsPayload } from '../helpers/slackPayloads.ts';
import { postInteraction } from '../helpers/slackRequest.ts';
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
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';
import type { InputValue } from '../helpers/slackPayloads.ts';

const instances = defaultInstances();
const APPROVERS = [USERS.approver, USERS.second, USERS.admin] as const;

let s: Sandbox;
let replica: LaunchedBot;

beforeAll(async () => {
  s = await startSandbox({ instances, env: { APPROVER_USER_IDS: APPROVERS.join(','), SECOND_APPROVAL: 'mutating' } });
  replica = await launchBot(s.env);
});
afterAll(async () => {
  await replica?.stop();
  await s?.close();
});

const submit = async (action: string | undefined, values: Record<string, InputValue> = {}): Promise<string> => {
  let view = await openRequestModal(s, '/qc-prep', USERS.requester);
  if (action) view = await chooseAction(s, view, USERS.requester, action);
  const answer = await submitRequestModal(s, view, USERS.requester, {
    instances: instances.map((i) => i.instanceId).join('\n'),
    change: CHANGE,
    ...values,
  });
  if (answer.body !== undefined) {
    // The checks outlasted Slack's 3 s: the modal said "Checking…" and is updated with the outcome.
    expect(answer.body).toMatchObject({ response_action: 'update' });
    await s.slack.waitFor((f) => JSON.stringify(f.views.get(view.id)?.blocks ?? []).includes('was submitted for approval'), {
      timeoutMs: 30_000,
    });
  }
  return latestRunId(s);
};

/** 100 clicks at once: every approver clicking many times, alternating between the two replicas. */
const storm = async (runId: string): Promise<number[]> => {
  const message = await approvalMessageFor(s, runId);
  const urls = [s.bot.url, replica.url];
  return Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const user = APPROVERS[i % APPROVERS.length] ?? USERS.approver;
      const payload = blockActionsPayload({
        user,
        actionId: 'approve_run',
        message: { ts: message.ts, blocks: message.blocks ?? [], text: message.text },
        channel: APPROVAL_CHANNEL,
      });
      const response = await postInteraction(urls[i % urls.length] ?? s.bot.url, SIGNING_SECRET, payload);
      await response.body?.cancel();
      return response.status;
    }),
  );
};

const auditCounts = async (runId: string) =>
  Object.fromEntries(
    (
      await s.db.pool.any(sql.type(z.object({ action: z.string(), n: z.number() }))`
      select action, count(*)::int as n from audit_events where run_id = ${runId} group by action`)
    ).map((r) => [r.action, r.n]),
  );

const approvalRows = async (runId: string) =>
  s.db.pool.anyFirst(
    sql.type(
      z.object({ approver_id: z.string() }),
    )`select approver_id from approvals where run_id = ${runId} and decision = 'approved' order by id`,
  );

const threadApprovals = (runId: string): string[] => {
  const parent = s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
  return parent
    ? s.slack
        .thread(OPS_CHANNEL, parent.ts)
        .map((m) => m.text ?? '')
        .filter((t) => t.includes('Approved by'))
    : [];
};

/**
 * The audit once every one of the 100 clicks was handled (recorded or refused): the run no longer waits
 * for Slack, so it can finish while the last refusals are still being answered.
 */
const settledAuditCounts = async (runId: string): Promise<Record<string, number>> => {
  for (let i = 0; ; i += 1) {
    const audit = await auditCounts(runId);
    if ((audit['approval_recorded'] ?? 0) + (audit['approval_refused'] ?? 0) >= 100 || i >= 200) return audit;
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('exactly once across 100 concurrent approvals and two replicas', () => {
  it('one approval needed: one approved transition, one approval row, one set of commands', async () => {
    const runId = await submit(undefined);
    const statuses = await storm(runId);
    expect(statuses.every((st) => st === 200)).toBe(true);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');

    const audit = await settledAuditCounts(runId);
    expect(audit['approved']).toBe(1);
    expect(audit['approval_recorded']).toBe(1);
    expect(audit['approval_refused']).toBe(99);
    expect(audit['started']).toBe(1);
    expect(audit['command_sent']).toBe(3);
    expect(await approvalRows(runId)).toHaveLength(1);

    const commands = s.aws.commands().filter((c) => c.comment.includes(runId));
    expect(commands).toHaveLength(3);
    expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(instances.map((i) => i.instanceId).sort());
    expect(s.aws.calls.filter((c) => c.operation === 'SendCommand' && JSON.stringify(c.request).includes(runId))).toHaveLength(3);
    await s.slack.waitFor(() => threadApprovals(runId).length === 1, { timeoutMs: 10_000 });
    expect(threadApprovals(runId)).toHaveLength(1);
    // Both replicas really took clicks.
    for (const bot of [s.bot, replica])
      expect(bot.output.filter((l) => l.includes(runId) && /approval (refused|recorded)/u.test(l)).length).toBeGreaterThan(10);
  });

  it('two approvals needed: exactly two different approvers recorded, one approved transition, one set of commands', async () => {
    const runId = await submit('kernel-staging', { 'param:targetKernel': '5.14.0-427.13.1.el9_4.x86_64' });
    const statuses = await storm(runId);
    expect(statuses.every((st) => st === 200)).toBe(true);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');

    const audit = await settledAuditCounts(runId);
    expect(audit['approved']).toBe(1);
    expect(audit['approval_recorded']).toBe(2);
    expect(audit['approval_refused']).toBe(98);
    const approvers = await approvalRows(runId);
    expect(approvers).toHaveLength(2);
    expect(new Set(approvers).size).toBe(2);
    // Kernel Staging rolls out canary first (one instance per account/region: 3 commands), then the rest in one wave.
    const commands = s.aws.commands().filter((c) => c.comment.includes(runId));
    expect(commands).toHaveLength(4);
    expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(instances.map((i) => i.instanceId).sort());
    expect(audit['command_sent']).toBe(4);
  });
});
