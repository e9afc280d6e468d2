import type { KnownBlock } from '@slack/types';
import { escapeLine, escapeText } from '../../domain/escapeText.ts';
import { CANARY_WAVE, describeRollout, haltText } from '../../domain/rolloutPolicy.ts';
import type { FinishedExecution } from '../../domain/runNotifier.ts';
import type { StatusCounts } from '../../domain/runOutcome.ts';
import { mention } from './mention.ts';
import { resultsControls } from './resultsControls.ts';
import { slackDate } from './slackDate.ts';
import type { RunView } from './runView.ts';
import { label } from './statusEmoji.ts';
import { statusLabel } from '../../domain/statusLabel.ts';

export type AuditLine = {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly fromStatus: string | null;
  readonly toStatus: string | null;
  readonly reason: string | null;
};

export type RunDetails = {
  readonly run: RunView;
  readonly approvedBy: readonly string[];
  readonly times: { readonly approvedAt: number | null; readonly startedAt: number | null; readonly finishedAt: number | null };
  readonly counts: StatusCounts;
  readonly notable: readonly FinishedExecution[];
  /** Retention removed the stored stdout/stderr (statuses and results stay). */
  readonly outputPruned?: boolean;
  readonly audit: readonly AuditLine[];
  /** Per rollout wave: instances, ended, failed (empty without a rollout). */
  readonly waves?: readonly { readonly wave: number; readonly total: number; readonly finished: number; readonly failed: number }[];
};

const waveName = (w: number): string => (w === CANARY_WAVE ? 'canary' : `wave ${w}`);

/** The rollout: its policy, why it halted (if it did), and each wave's progress. */
const rolloutSection = (d: RunDetails): KnownBlock[] => {
  const { run } = d;
  if (!run.rollout) return [];
  const waves = (d.waves ?? []).map((w) => `${waveName(w.wave)}: ${w.finished} of ${w.total} ended, ${w.failed} failed`);
  const shown = waves.length > 12 ? [...waves.slice(0, 11), `…and ${waves.length - 11} more waves`] : waves;
  const halt = run.halt ? `\n:double_vertical_bar: ${run.status === 'halted' ? '' : 'last '}${haltText(run.halt)}` : '';
  return [section(`*Rollout*: ${describeRollout(run.rollout, run.targetCount)}${halt}\n${shown.join('\n')}`)];
};

const MAX_EXECUTIONS = 15;
const MAX_AUDIT = 25;

const when = (ms: number | null): string => (ms === null ? '—' : slackDate(ms));

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } });

/** `/ops show <run>`: everything about one run, bounded in size, for the person who asked (ephemeral). */
export const runDetailsMessage = (d: RunDetails): { text: string; blocks: KnownBlock[] } => {
  const { run } = d;
  const params =
    Object.entries(run.params)
      .map(([k, v]) => `\`${escapeText(k)}\` = \`${escapeText(String(v))}\``)
      .join(', ') || '_none_';
  const counts =
    Object.entries(d.counts)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([s, n]) => `${label(s)}: *${n}*`)
      .join(' · ') || 'no results yet';
  const executions = d.notable.slice(0, MAX_EXECUTIONS).map((e) => {
    const detail = escapeLine(e.summary ?? e.statusDetails ?? '', 100);
    const wave = e.wave === null || e.wave === undefined ? '' : ` (${waveName(e.wave)})`;
    return `${label(e.status)} \`${escapeText(e.instanceId)}\` ${escapeText(`${e.accountId}/${e.region}`)}${wave}${detail ? ` — ${detail}` : ''}`;
  });
  const audit = d.audit.slice(-MAX_AUDIT).map((a) => {
    const move = a.fromStatus || a.toStatus ? ` (${a.fromStatus ?? '∅'} → ${a.toStatus ?? '∅'})` : '';
    return `${slackDate(a.at, '{date_num} {time_secs}')} ${mention(a.actor)} *${a.action}*${move}${a.reason ? `: ${escapeLine(a.reason, 150)}` : ''}`;
  });
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${run.toolTitle} — ${run.actionTitle}`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        {
          type: 'mrkdwn',
          text: `*Status*\n${label(run.status)}${run.cancelRequestedBy ? ` (cancel requested by ${mention(run.cancelRequestedBy)})` : ''}`,
        },
        { type: 'mrkdwn', text: `*Requester*\n${mention(run.requesterId)}` },
        { type: 'mrkdwn', text: `*Change*\n${escapeText(run.changeNumber)}` },
        { type: 'mrkdwn', text: `*Instances*\n${run.targetCount}` },
        {
          type: 'mrkdwn',
          text: `*Approved by*\n${d.approvedBy.map(mention).join(', ') || '—'} (${d.approvedBy.length} of ${run.approvalsRequired})`,
        },
        { type: 'mrkdwn', text: `*Requested*\n${when(run.createdAt)}` },
        { type: 'mrkdwn', text: `*Approved*\n${when(d.times.approvedAt)}` },
        { type: 'mrkdwn', text: `*Started*\n${when(d.times.startedAt)}` },
        { type: 'mrkdwn', text: `*Finished*\n${when(d.times.finishedAt)}` },
        { type: 'mrkdwn', text: `*Parameters*\n${params}`.slice(0, 2000) },
      ],
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `run \`${run.id}\` · correlation \`${run.correlationId}\`` },
        { type: 'mrkdwn', text: `script sha256 \`${run.scriptSha256}\` · plan digest \`${run.planDigest}\`` },
        // Section fields are at Slack's limit of 10: the schedule and the re-run link go here.
        ...(run.scheduledFor ? [{ type: 'mrkdwn' as const, text: `:calendar: scheduled for ${when(run.scheduledFor)}` }] : []),
        ...(run.rerunOf ? [{ type: 'mrkdwn' as const, text: `:repeat: re-run of the failed instances of run \`${run.rerunOf}\`` }] : []),
      ],
    },
    ...rolloutSection(d),
    section(
      `*Results*: ${counts}${d.outputPruned ? ' · _output pruned (retention)_' : ''}${executions.length > 0 ? `\n${executions.join('\n')}` : ''}${run.targetCount > executions.length && executions.length > 0 ? `\n…${run.targetCount - executions.length} more not shown` : ''}`,
    ),
    ...(d.times.startedAt !== null ? [resultsControls(run.id, { csv: true })] : []),
    section(`*Audit trail*${d.audit.length > MAX_AUDIT ? ` (last ${MAX_AUDIT} of ${d.audit.length})` : ''}\n${audit.join('\n') || '—'}`),
  ];
  return { text: `${run.toolTitle} — ${run.actionTitle}: ${statusLabel(run.status)} (${run.id})`, blocks };
};
