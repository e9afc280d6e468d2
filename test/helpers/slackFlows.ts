import { expect } from 'vitest';
import type { SlackView } from '../fakes/slack/fakeSlackTypes.ts';
import { blockActionsPayload, stateValuesForBlocks, viewSubmissionPayload, type InputValue } from './slackPayloads.ts';
import { postInteraction, postSlashCommand } from './slackRequest.ts';
import { APPROVAL_CHANNEL, OPS_CHANNEL, SIGNING_SECRET, type Sandbox } from './sandbox.ts';

/** Types a slash command as `user` and returns the modal the bot opened. */
export const openRequestModal = async (s: Sandbox, command: string, user: string): Promise<SlackView> => {
  const before = s.slack.callsOf('views.open').length;
  const trigger = s.slack.issueTriggerId({ userId: user });
  const response = await postSlashCommand(s.bot.url, SIGNING_SECRET, { command, text: '', user_id: user, channel_id: OPS_CHANNEL, trigger_id: trigger });
  expect(response.status).toBe(200);
  const call = await s.slack.waitFor((f) => f.callsOf('views.open')[before], { timeoutMs: 5_000 });
  expect(call.ok).toBe(true);
  const view = (call.response as { view: SlackView }).view;
  return view;
};

/** Submits the request modal with the given values (keys are action ids) and returns the bot's answer. */
export const submitRequestModal = async (s: Sandbox, view: SlackView, user: string, values: Record<string, InputValue>): Promise<{ status: number; body: unknown }> => {
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
export const clickDecision = async (s: Sandbox, runId: string, user: string, actionId: 'approve_run' | 'reject_run' = 'approve_run'): Promise<number> => {
  const message = await approvalMessageFor(s, runId);
  const payload = blockActionsPayload({
    user, actionId, message: { ts: message.ts, blocks: message.blocks ?? [], text: message.text }, channel: APPROVAL_CHANNEL,
    triggerId: s.slack.issueTriggerId({ userId: user }),
  });
  const response = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
  await response.body?.cancel();
  return response.status;
};
