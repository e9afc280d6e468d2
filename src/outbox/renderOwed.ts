import type { KnownBlock } from '@slack/types';
import type { DatabasePool } from 'slonik';
import { escapeText } from '../domain/escapeText.ts';
import type { ApprovalDecided, Decision, FreezeNotice, OwedFile, RunReply } from '../domain/owedMessage.ts';
import { planDigest } from '../domain/planDigest.ts';
import type { StoredExclusion } from '../domain/preflight.ts';
import { resultsCsv } from '../domain/resultsCsv.ts';
import { targetListCsv, type TargetListRow } from '../domain/targetListCsv.ts';
import { listPlannedTargets, listResultRows } from '../db/queries/runFiles.ts';
import { countsText } from '../slack/blocks/runMessage.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { countExecutionsByStatus } from '../db/queries/executions.ts';
import type { OwedRow } from '../db/queries/outbox.ts';
import { setApprovalMessage, setRunMessage, type RunRow } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';
import { approvalMessage } from '../slack/blocks/approvalMessage.ts';
import { haltedMessage } from '../slack/blocks/haltControls.ts';
import { mention } from '../slack/blocks/mention.ts';
import { preflightText } from '../slack/blocks/preflightText.ts';
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
  | { readonly method: 'chat.update'; readonly channel: string; readonly ts: string; readonly content: Content }
  | {
      /** files.getUploadURLExternal → POST to the upload URL → files.completeUploadExternal. */
      readonly method: 'files.upload';
      /** A channel id, or a user id for their DM. */
      readonly channel: string;
      readonly threadTs?: string;
      readonly filename: string;
      readonly title: string;
      readonly content: string;
      /** Escaped mrkdwn introducing the file. */
      readonly comment: string;
    };

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
    case 'continued':
      return `:arrow_forward: ${mention(d.by)} continued the rollout: the next wave is sent.`;
    case 'stopped':
      return `:black_square_for_stop: ${mention(d.by)} stopped the rollout: nothing more is sent.`;
  }
};

const freezeText = (f: FreezeNotice): string =>
  f.on
    ? `:snowflake: ${mention(f.by)} turned the change freeze *on*${f.reason ? `: ${escapeText(f.reason)}` : ''}. Approvals and new dispatches are blocked until \`/ops freeze off\`.`
    : `:sunny: ${mention(f.by)} lifted the change freeze; approvals and dispatches are open again.`;

const replyContent = async (pool: DatabasePool, reply: RunReply, view: Parameters<typeof runMessage>[0], run: RunRow): Promise<Content> => {
  const requester = run.requester_id;
  switch (reply.kind) {
    case 'text':
      return { text: reply.text };
    case 'submitted': {
      // The pre-flight counts, as the requester's record of what was resolved (the approval message shows them too).
      const targeting = await getRunTargeting(pool, run.id);
      const counts = targeting ? `\n${preflightText(targeting)}` : '';
      return { text: `:memo: Submitted by ${mention(requester)}; waiting for approval in <#${run.approval_channel_id}>.${counts}` };
    }
    case 'started':
      return { text: `:rocket: Started: sending to ${reply.targetCount} instance(s).` };
    case 'summary':
      return summaryMessage(view, reply.status, reply.counts, reply.notable, { causes: reply.causes ?? [], total: reply.causeCount ?? 0 });
    case 'decision':
      return { text: decisionText(reply.decision) };
    case 'expired':
      return { text: `:alarm_clock: ${mention(requester)} your request expired without approval. Submit it again if it is still needed.` };
    case 'halted':
      return haltedMessage(view.id, reply.halt);
  }
};

/** The file's bytes, generated now from the database: the frozen plan (checked against its digest) or the executions. */
const renderFile = async (
  pool: DatabasePool,
  run: RunRow,
  file: OwedFile,
): Promise<Omit<Extract<Delivery, { method: 'files.upload' }>, 'method' | 'channel' | 'threadTs'> | { giveUp: string }> => {
  const short = run.id.slice(0, 8);
  if (file.file === 'target_list') {
    const [planned, targeting] = await Promise.all([listPlannedTargets(pool, run.id), getRunTargeting(pool, run.id)]);
    // Exactly what was approved: the list must still be the one the plan digest covers.
    const digest = planDigest({
      tool: run.tool,
      action: run.action,
      scriptSha256: run.script_sha256,
      params: run.params,
      changeNumber: run.change_number,
      targets: planned,
    });
    if (digest !== run.plan_digest) return { giveUp: 'the stored target list differs from the approved plan digest' };
    const excluded: TargetListRow[] = (targeting?.preflight.excluded ?? []).map((e) => {
      const x = e as StoredExclusion;
      return {
        instanceId: x.instanceId ?? x.ref,
        name: x.name ?? null,
        accountId: x.accountId ?? '',
        region: x.region ?? '',
        partition: x.partition ?? '',
        platform: x.platform ?? null,
        pingStatus: x.pingStatus ?? null,
        excluded: x.detail,
      };
    });
    const totalExcluded = targeting?.preflight.summary.excluded ?? excluded.length;
    const unlisted = totalExcluded - excluded.length;
    return {
      filename: `targets-${short}.csv`,
      title: `Targets of run ${short}`,
      content: targetListCsv([...planned, ...excluded]),
      comment:
        `:page_facing_up: The complete target list: *${planned.length}* target(s)` +
        (totalExcluded > 0 ? ` and *${totalExcluded}* excluded by pre-flight${unlisted > 0 ? ` (${unlisted} not listed)` : ''}` : '') +
        ` · plan digest \`${run.plan_digest.slice(0, 12)}\``,
    };
  }
  const [rows, counts] = await Promise.all([listResultRows(pool, run.id), countExecutionsByStatus(pool, run.id)]);
  return {
    filename: `results-${short}.csv`,
    title: `Results of run ${short}`,
    content: resultsCsv(rows),
    comment: `:bar_chart: Per-instance results (${rows.length} instances): ${countsText(counts, run.target_count)}`,
  };
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
  if (row.kind === 'file') {
    const file = row.payload as OwedFile;
    const to =
      file.to.kind === 'dm'
        ? { channel: file.to.user }
        : file.to.kind === 'approval_thread'
          ? run.approval_ts
            ? { channel: run.approval_channel_id, threadTs: run.approval_ts }
            : null
          : run.message_ts
            ? { channel: run.channel_id, threadTs: run.message_ts }
            : null;
    // The message it replies to came first in this stream; without its ts it was given up, and so is the file.
    if (!to) return { run, giveUp: 'the message this file belongs under was never posted' };
    const rendered = await renderFile(pool, run, file);
    if ('giveUp' in rendered) return { run, giveUp: rendered.giveUp };
    return { run, delivery: { method: 'files.upload', ...to, ...rendered } };
  }
  if (row.kind === 'run_reply') {
    // The parent row came first in this stream; without its ts it was given up, and so is its thread.
    if (!run.message_ts) return { run, giveUp: 'the run has no parent message to reply to' };
    const reply = row.payload as RunReply;
    const content = await replyContent(pool, reply, view, run);
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
