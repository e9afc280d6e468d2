import type { KnownBlock } from '@slack/types';
import { resultsControls } from './resultsControls.ts';
import { escapeLine, escapeText } from '../../domain/escapeText.ts';
import { describeRollout, haltText } from '../../domain/rolloutPolicy.ts';
import type { FinishedExecution } from '../../domain/runNotifier.ts';
import type { StatusCounts } from '../../domain/runOutcome.ts';
import { haltControls } from './haltControls.ts';
import type { CauseGroup } from '../../domain/failureCauses.ts';
import { isRerunnable, rerunExecutionStatuses } from '../../domain/rerunPolicy.ts';
import { fitLines } from './fitLines.ts';
import { mention } from './mention.ts';
import { slackDate } from './slackDate.ts';
import type { RunView } from './runView.ts';
import { label } from './statusEmoji.ts';
import { statusLabel } from '../../domain/statusLabel.ts';
import { activeRunStatuses } from '../../domain/runStatus.ts';

export const countsText = (counts: StatusCounts, total: number): string => {
  const parts = Object.entries(counts)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([status, n]) => `${label(status)}: *${n}*`);
  return `${parts.join(' · ') || 'no results yet'} (of ${total})`;
};

export const CANCEL_ACTION_ID = 'cancel_run';

export const RERUN_ACTION_ID = 'rerun_failed';

// A halted rollout is ended with its own Stop button (haltControls), not Cancel.
const cancellable = new Set<string>(activeRunStatuses.filter((s) => s !== 'halted'));

/** The Cancel button (requester or an approver), with a confirmation; absent once the run ends or a cancel was asked. */
const cancelBlocks = (run: RunView): KnownBlock[] => {
  if (run.cancelRequestedBy && cancellable.has(run.status)) {
    return [
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `:octagonal_sign: Cancel requested by ${mention(run.cancelRequestedBy)}; stopping…` }],
      },
    ];
  }
  if (!cancellable.has(run.status)) return [];
  return [
    {
      type: 'actions',
      block_id: 'run_controls',
      elements: [
        {
          type: 'button',
          action_id: CANCEL_ACTION_ID,
          value: run.id,
          text: { type: 'plain_text', text: 'Cancel run' },
          confirm: {
            title: { type: 'plain_text', text: 'Cancel this run?' },
            text: {
              type: 'mrkdwn',
              text:
                run.status === 'pending_approval' || run.status === 'scheduled'
                  ? 'The request is withdrawn; nothing will run.'
                  : 'Nothing more is sent; commands already sent are cancelled in SSM.',
            },
            confirm: { type: 'plain_text', text: 'Cancel run' },
            deny: { type: 'plain_text', text: 'Keep it' },
            style: 'danger',
          },
        },
      ],
    },
  ];
};

/** "Re-run failed" on a finished run with failed, timed-out or undeliverable instances: opens a prefilled request. */
const rerunBlocks = (run: RunView, counts: StatusCounts): KnownBlock[] => {
  const failed = rerunExecutionStatuses.reduce((n, s) => n + (counts[s] ?? 0), 0);
  if (!isRerunnable(run.status) || failed === 0) return [];
  return [
    {
      type: 'actions',
      block_id: 'run_rerun',
      elements: [
        {
          type: 'button',
          action_id: RERUN_ACTION_ID,
          value: run.id,
          text: { type: 'plain_text', text: `Re-run failed (${failed})` },
        },
      ],
    },
  ];
};

/** When a scheduled run starts, and what it re-runs: context lines under the status. */
const scheduleText = (run: RunView): string[] => [
  ...(run.status === 'scheduled' && run.scheduledFor
    ? [`:calendar: Scheduled: starts when the change window opens, ${slackDate(run.scheduledFor)}`]
    : []),
  ...(run.rerunOf ? [`:repeat: Re-run of the failed instances of run \`${run.rerunOf}\``] : []),
];

/** The parent message in the requester's channel: one message, kept up to date with chat.update. */
export const runMessage = (run: RunView, counts: StatusCounts = {}): { text: string; blocks: KnownBlock[] } => ({
  text: `${run.toolTitle} — ${run.actionTitle} (${escapeText(run.changeNumber)}): ${statusLabel(run.status)}`,
  blocks: [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${run.toolTitle} — ${run.actionTitle}*  ${label(run.status)}\nRequested by ${mention(run.requesterId)} under *${escapeText(run.changeNumber)}* on *${run.targetCount}* instance(s)`,
      },
    },
    ...scheduleText(run).map((text): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] })),
    { type: 'context', elements: [{ type: 'mrkdwn', text: countsText(counts, run.targetCount) }] },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `run \`${run.id}\` · script \`${run.scriptSha256.slice(0, 12)}\`` }] },
    ...rolloutBlocks(run),
    ...cancelBlocks(run),
    ...rerunBlocks(run, counts),
  ],
});

/** The rollout policy, and while halted why, with Continue and Stop. */
const rolloutBlocks = (run: RunView): KnownBlock[] => {
  if (!run.rollout) return [];
  const policy: KnownBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Rollout: ${describeRollout(run.rollout, run.targetCount)}` }],
  };
  if (run.status !== 'halted' || !run.halt) return [policy];
  return [
    policy,
    { type: 'section', text: { type: 'mrkdwn', text: `:double_vertical_bar: *${haltText(run.halt)}*` } },
    haltControls(run.id),
  ];
};

const MAX_LINES = 40;

/** "37 hosts: /boot has N MB free" lines, largest first, cut on line boundaries; the "…and N more causes" line kept. */
export const causesText = (causes: readonly CauseGroup[], total: number, max = 3000): string => {
  // Causes beyond the stored ones are always counted: room for their line is kept when there are any.
  const unstored = Math.max(0, total - causes.length);
  const more = (n: number) => `• …and ${n + unstored} more causes`;
  const text = fitLines(
    '*Failures by cause*',
    causes.map(
      (c) => `• *${c.count}* ${c.count === 1 ? 'host' : 'hosts'}: ${escapeLine(c.cause || '(no details)', 150)} _(${label(c.status)})_`,
    ),
    unstored > 0 ? max - more(total).length - 1 : max,
    more,
  );
  return unstored > 0 && !text.endsWith('more causes') ? `${text}\n${more(0)}` : text;
};

/** The final thread reply: counts, failures grouped by cause, then the instances worth reading (failures first), bounded in size. */
export const summaryMessage = (
  run: RunView,
  status: string,
  counts: StatusCounts,
  notable: readonly FinishedExecution[],
  causes: { readonly causes: readonly CauseGroup[]; readonly total: number } = { causes: [], total: 0 },
): { text: string; blocks: KnownBlock[] } => {
  const lines = notable.slice(0, MAX_LINES).map((e) => {
    const detail = escapeLine(e.summary ?? e.statusDetails ?? '', 120);
    return `${label(e.status)} \`${escapeText(e.instanceId)}\` ${escapeText(`${e.accountId}/${e.region}`)}${detail ? ` — ${detail}` : ''}`;
  });
  const more = run.targetCount - lines.length;
  const body = lines.join('\n') + (more > 0 ? `\n…and ${more} more (see \`/ops show ${run.id}\`)` : '');
  return {
    text: `Run ${statusLabel(status)}: ${countsText(counts, run.targetCount)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Finished: ${label(status)}*\n${countsText(counts, run.targetCount)}` } },
      ...(causes.causes.length > 0
        ? [{ type: 'section', text: { type: 'mrkdwn', text: causesText(causes.causes, causes.total) } } as KnownBlock]
        : []),
      ...(lines.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: body.slice(0, 3000) } } as KnownBlock] : []),
      // Every instance's output is one pick away, whatever the fleet's size (the results CSV follows in the thread).
      resultsControls(run.id, { csv: false }),
    ],
  };
};
