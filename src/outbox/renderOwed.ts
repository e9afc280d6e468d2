import type { KnownBlock } from '@slack/types';
import type { DatabasePool } from 'slonik';
import { escapeText } from '../domain/escapeText.ts';
import type { ApprovalDecided, Decision, FreezeNotice, RunReply } from '../domain/owedMessage.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { countExecutionsByStatus } from '../db/queries/executions.ts';
import type { OwedRow } from '../db/queries/outbox.ts';
import { setApprovalMessage, setRunMessage, type RunRow } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';
import { approvalMessage } from '../slack/blocks/approvalMessage.ts';
import { mention } from '../slack/blocks/mention.ts';
import { runMessage, summaryMessage } from '../slack/blocks/runMessage.ts';
import { slackDate } from '../slack/blocks/slackDate.ts';
import { loadRunView, loadTargetGroups } from '../slack/loadRunView.ts';
import type { ToolRegistry } from '../tools/registry.ts';

export type Content = { readonly text: string; readonly blocks?: readonly KnownBlock[] };

/** One Slack call that delivers an owed row, rendered from the database as it is now. */
export type Delivery =
  | {
      readonly method: 'chat.postMessage';
      readonly channel: string;
      readonly threadTs?: string;
      readonly content: Content;
      /** Where to post instead when Slack refuses the channel for good (the requester's DM). */
      readonly fallbackChannel?: string;
      /** Remembers the new message's ts (and where it landed), so later rows of the stream update or reply to it. */
      readonly posted?: (channel: string, ts: string) => Promise<void>;
    }
  | { readonly method: 'chat.update'; readonly channel: string; readonly ts: string; readonly content: Content };

export type Rendered = { readonly delivery: Delivery; readonly run?: RunRow } | { readonly giveUp: string; readonly run?: RunRow };

const decisionText = (d: Decision): string => {
  switch (d.event) {
    case 'approved':
      return d.startsAt
        ? `:white_check_mark: Approved by ${mention(d.by)}. :calendar: Scheduled: starts when the change window opens, ${slackDate(d.startsAt)}.`
        : `:white_check_mark: Approved by ${mention(d.by)}.`;
    case 'rejected':
      return `:no_entry: Rejected by ${mention(d.by)}${d.reason ? `: ${escapeText(d.reason)}` : ''}.`;
    case 'cancelled':
      return `:no_entry_sign: Cancelled by ${mention(d.by)} before ${d.wasScheduled ? 'its scheduled start' : 'approval'}; nothing ran.`;
    case 'cancel_requested':
      return `:octagonal_sign: ${mention(d.by)} asked to cancel: nothing more is sent and commands already sent are being cancelled.`;
    case 'approval_recorded':
      return `:ballot_box_with_check: Approval ${d.approvals} of ${d.required} by ${mention(d.by)}; waiting for a different approver.`;
  }
};

const freezeText = (f: FreezeNotice): string =>
  f.on
    ? `:snowflake: ${mention(f.by)} turned the change freeze *on*${f.reason ? `: ${escapeText(f.reason)}` : ''}. Approvals and new dispatches are blocked until \`/ops freeze off\`.`
    : `:sunny: ${mention(f.by)} lifted the change freeze; approvals and dispatches are open again.`;

const replyContent = (reply: RunReply, view: Parameters<typeof runMessage>[0], requester: string): Content => {
  switch (reply.kind) {
    case 'text':
      return { text: reply.text };
    case 'started':
      return { text: `:rocket: Started: sending to ${reply.targetCount} instance(s).` };
    case 'summary':
      return summaryMessage(view, reply.status, reply.counts, reply.notable, { causes: reply.causes ?? [], total: reply.causeCount ?? 0 });
    case 'decision':
      return { text: decisionText(reply.decision) };
    case 'expired':
      return { text: `:alarm_clock: ${mention(requester)} your request expired without approval. Submit it again if it is still needed.` };
  }
};

/** Turns an owed row into the call that sends it now, or the reason it can never be sent. */
export const renderOwed = async (pool: DatabasePool, registry: ToolRegistry, row: OwedRow): Promise<Rendered> => {
  if (row.kind === 'channel_post') {
    const p = row.payload as { channel: string; text?: string; freeze?: FreezeNotice };
    return {
      delivery: { method: 'chat.postMessage', channel: p.channel, content: { text: p.freeze ? freezeText(p.freeze) : (p.text ?? '') } },
    };
  }
  if (row.kind === 'dm') {
    const p = row.payload as { user: string; text: string };
    // A user id as the channel posts to the person's DM with the bot.
    return { delivery: { method: 'chat.postMessage', channel: p.user, content: { text: p.text } } };
  }
  const loaded = row.run_id ? await loadRunView(pool, registry, row.run_id) : null;
  if (!loaded) return { giveUp: `run ${row.run_id ?? '?'} does not exist` };
  const { row: run, view } = loaded;

  if (row.kind === 'run_parent') {
    const content = runMessage(view, run.started_at === null ? {} : await countExecutionsByStatus(pool, run.id));
    if (run.message_ts) return { run, delivery: { method: 'chat.update', channel: run.channel_id, ts: run.message_ts, content } };
    return {
      run,
      delivery: {
        method: 'chat.postMessage',
        channel: run.channel_id,
        content,
        fallbackChannel: run.requester_id,
        posted: (channel, ts) => setRunMessage(pool, run.id, channel, ts),
      },
    };
  }
  if (row.kind === 'run_reply') {
    // The parent row came first in this stream; without its ts it was given up, and so is its thread.
    if (!run.message_ts) return { run, giveUp: 'the run has no parent message to reply to' };
    const content = replyContent(row.payload as RunReply, view, run.requester_id);
    return { run, delivery: { method: 'chat.postMessage', channel: run.channel_id, threadTs: run.message_ts, content } };
  }
  const { decided } = row.payload as { decided?: ApprovalDecided };
  const [groups, approvedBy, freeze, targeting] = await Promise.all([
    loadTargetGroups(pool, run.id),
    listApprovers(pool, run.id),
    getFreeze(pool),
    getRunTargeting(pool, run.id),
  ]);
  const content = approvalMessage(view, groups, { approvedBy, freeze, targeting, ...(decided ? { decided } : {}) });
  if (run.approval_ts) return { run, delivery: { method: 'chat.update', channel: run.approval_channel_id, ts: run.approval_ts, content } };
  return {
    run,
    delivery: {
      method: 'chat.postMessage',
      channel: run.approval_channel_id,
      content,
      posted: (_channel, ts) => setApprovalMessage(pool, run.id, ts),
    },
  };
};
