import { sql } from 'slonik';
import { z } from 'zod';
import type { SlackView } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { blockActionsPayload, stateValuesForBlocks, viewSubmissionPayload, type InputValue } from './slackPayloads.ts';
import { postInteraction, postSlashCommand } from './slackRequest.ts';
import { APPROVAL_CHANNEL, OPS_CHANNEL, SIGNING_SECRET, type Sandbox } from './sandbox.ts';

// Plain checks (not vitest's expect) so the local sandbox and benchmarks can drive the same flows.
const check = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message);
};

/** Types a slash command as `user` and returns the modal the bot opened. */
export const openRequestModal = async (s: Sandbox, command: string, user: string): Promise<SlackView> => {
  const before = s.slack.callsOf('views.open').length;
  const trigger = s.slack.issueTriggerId({ userId: user });
  const response = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
    command,
    text: '',
    user_id: user,
    channel_id: OPS_CHANNEL,
    trigger_id: trigger,
  });
  check(response.status === 200, `slash command answered HTTP ${response.status}`);
  const call = await s.slack.waitFor((f) => f.callsOf('views.open')[before], { timeoutMs: 5_000 });
  check(call.ok, `views.open failed: ${call.error ?? ''}`);
  const view = (call.response as { view: SlackView }).view;
  return view;
};

/** Submits the request modal with the given values (keys are action ids) and returns the bot's answer. */
export const submitRequestModal = async (
  s: Sandbox,
  view: SlackView,
  user: string,
  values: Record<string, InputValue>,
): Promise<{ status: number; body: unknown }> => {
  const current = s.slack.views.get(view.id) ?? view;
  const payload = viewSubmissionPayload({ user, view: current, stateValues: stateValuesForBlocks(current.blocks, values) });
  const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

/** The approval message the bot posted for a run. */
export const approvalMessageFor = async (s: Sandbox, runId: string) =>
  s.slack.waitFor((f) => f.messages(APPROVAL_CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(runId)), { timeoutMs: 10_000 });

/** Clicks Approve (or Reject) on a run's approval message as `user`. */
export const clickDecision = async (
  s: Sandbox,
  runId: string,
  user: string,
  actionId: 'approve_run' | 'reject_run' = 'approve_run',
): Promise<number> => {
  const message = await approvalMessageFor(s, runId);
  const payload = blockActionsPayload({
    user,
    actionId,
    message: { ts: message.ts, blocks: message.blocks ?? [], text: message.text },
    channel: APPROVAL_CHANNEL,
    triggerId: s.slack.issueTriggerId({ userId: user }),
  });
  const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
  await response.body?.cancel();
  return response.status;
};

/** Picks another action in the open request modal (block_actions on the select) and returns the updated view. */
export const chooseAction = async (s: Sandbox, view: SlackView, user: string, actionId: string): Promise<SlackView> => {
  const before = s.slack.callsOf('views.update').length;
  const current = s.slack.views.get(view.id) ?? view;
  const payload = blockActionsPayload({
    user,
    actionId: 'select_action',
    value: actionId,
    view: current,
    triggerId: s.slack.issueTriggerId({ userId: user }),
  });
  const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
  check(response.status === 200, `block action answered HTTP ${response.status}`);
  await s.slack.waitFor((f) => f.callsOf('views.update')[before], { timeoutMs: 5_000 });
  const updated = s.slack.views.get(view.id);
  if (!updated) throw new Error('the modal disappeared');
  return updated;
};

/** Polls the database until the run reaches one of `statuses`. */
export const waitForRunStatus = async (s: Sandbox, runId: string, statuses: readonly string[], timeoutMs = 30_000): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await s.db.pool.anyFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
    const status = rows[0];
    if (status && statuses.includes(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} is ${status ?? 'missing'}, not ${statuses.join('/')}:\n${s.bot.output.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The newest run's id. */
export const latestRunId = async (s: Sandbox): Promise<string> =>
  s.db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`select id from runs order by created_at desc limit 1`);

export type RequestFlow = {
  command: string;
  action?: string;
  values: Record<string, InputValue>;
  requester?: string;
  approvers?: readonly string[];
};

/**
 * Command → modal (optionally another action) → submit → approve; returns the run id once the last
 * approver clicked (the run may be starting). `approvers` click in turn (a mutating action needs two
 * different ones under SECOND_APPROVAL=mutating).
 */
export const submitAndApprove = async (s: Sandbox, o: RequestFlow): Promise<string> => {
  const requester = o.requester ?? 'U0REQUESTER';
  let view = await openRequestModal(s, o.command, requester);
  if (o.action) view = await chooseAction(s, view, requester, o.action);
  const answer = await submitRequestModal(s, view, requester, o.values);
  check(answer.body === undefined, `the modal was refused: ${JSON.stringify(answer.body)}`);
  const runId = await latestRunId(s);
  const approvers = o.approvers ?? ['U0APPROVER'];
  for (const [i, approver] of approvers.entries()) {
    if (i > 0) await waitForApprovals(s, runId, i);
    const clicked = await clickDecision(s, runId, approver);
    check(clicked === 200, `approve answered HTTP ${clicked}`);
  }
  return runId;
};

/** Full happy path: submitAndApprove, then the run's final status. */
export const requestAndApprove = async (s: Sandbox, o: RequestFlow): Promise<{ runId: string; status: string }> => {
  const runId = await submitAndApprove(s, o);
  return { runId, status: await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed']) };
};

/** Polls the database until `count` approvals of the run are recorded. */
const waitForApprovals = async (s: Sandbox, runId: string, count: number, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await s.db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`select count(*)::int as n from approvals where run_id = ${runId} and decision = 'approved'`,
    );
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`run ${runId} has ${n} approval(s), not ${count}:\n${s.bot.output.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Types `/ops <text>` as `user` in the ops channel; the ephemeral answer (through the command's response_url) and its JSON. */
export const typeOps = async (s: Sandbox, user: string, text: string): Promise<{ text?: string; blocks?: unknown[]; all: string }> => {
  const url = s.slack.responseUrl({ user, channel: OPS_CHANNEL });
  const id = url.split('/').pop() ?? '';
  const response = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
    command: '/ops',
    text,
    user_id: user,
    channel_id: OPS_CHANNEL,
    response_url: url,
  });
  check(response.status === 200, `/ops answered HTTP ${response.status}`);
  const answer = await s.slack.waitFor((f) => f.responses(id)[0], { timeoutMs: 10_000 });
  const body = answer.body as { text?: string; blocks?: unknown[] };
  return { ...body, all: JSON.stringify(answer.body) };
};
