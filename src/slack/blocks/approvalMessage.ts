import { describeRollout } from '../../domain/rolloutPolicy.ts';
import type { KnownBlock } from '@slack/types';
import { escapeText } from '../../domain/escapeText.ts';
import { exclusionLabels, type ExclusionReason } from '../../domain/preflight.ts';
import type { RunTargeting } from '../../db/queries/targeting.ts';
import { fitLines } from './fitLines.ts';
import { mention } from './mention.ts';
import type { RunView, TargetGroup } from './runView.ts';
import { slackDate } from './slackDate.ts';
import { label } from './statusEmoji.ts';

export const APPROVE_ACTION_ID = 'approve_run';
export const REJECT_ACTION_ID = 'reject_run';

const MAX_GROUP_LINES = 20;
// Slack's limit for a section's text.
const MAX_SECTION_TEXT = 3000;

const paramsText = (params: Readonly<Record<string, unknown>>): string => {
  const entries = Object.entries(params);
  return entries.length === 0 ? '_none_' : entries.map(([k, v]) => `\`${escapeText(k)}\` = \`${escapeText(String(v))}\``).join(', ');
};

const scopeName = (g: { accountId: string; region: string; partition: string }): string =>
  `\`${escapeText(g.accountId)}\` ${escapeText(g.region)}${g.partition === 'aws-us-gov' ? ' (GovCloud)' : ''}`;

/** Targets per account/region with their first ids; cut on line boundaries, the "…and N more" line kept. */
export const groupsText = (
  groups: readonly TargetGroup[],
  heading = '*Targets by account/region*',
  targeting?: RunTargeting | null,
): string => {
  const counts = new Map((targeting?.preflight.summary.byScope ?? []).map((c) => [`${c.partition}|${c.accountId}|${c.region}`, c]));
  const lines = groups.slice(0, MAX_GROUP_LINES).map((g) => {
    const ids = escapeText(g.instanceIds.slice(0, 6).join(', ')) + (g.instanceIds.length > 6 ? ` +${g.instanceIds.length - 6}` : '');
    const excluded = counts.get(`${g.partition}|${g.accountId}|${g.region}`)?.excluded ?? 0;
    return `• ${scopeName(g)}: *${g.instanceIds.length}*${excluded > 0 ? ` (${excluded} excluded)` : ''} — ${ids}`;
  });
  const left = groups.length - lines.length;
  return fitLines(heading, lines, MAX_SECTION_TEXT, (n) => `• …and ${n + left} more account/regions`);
};

/** Selectors, platforms, exclusions and warnings of the pre-flight, each within one section's limit. */
const targetingBlocks = (t: RunTargeting): KnownBlock[] => {
  const { summary, excluded, warnings } = t.preflight;
  const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const blocks: KnownBlock[] = [
    section(
      fitLines(
        `*Pre-flight*: *${summary.eligible}* eligible, *${summary.excluded}* excluded. Selectors:`,
        t.selectors.map((s) => `• \`${escapeText(s)}\``),
        MAX_SECTION_TEXT,
        (n) => `• …and ${n} more selectors`,
      ),
    ),
    section(
      fitLines(
        '*Eligible by platform*',
        summary.byPlatform.map((p) => `• ${escapeText(p.platform)}: *${p.count}*`),
        MAX_SECTION_TEXT,
        (n) => `• …and ${n} more platforms`,
      ),
    ),
  ];
  if (summary.excluded > 0) {
    const reasons = Object.entries(summary.byReason).map(([reason, n]) => {
      const examples = excluded
        .filter((e) => e.reason === reason)
        .slice(0, 5)
        .map((e) => `${e.ref}${reason === 'locked' || reason === 'wrong_platform' ? ` (${e.detail})` : ''}`);
      return `• ${escapeText(exclusionLabels[reason as ExclusionReason] ?? reason)}: *${n}* — ${escapeText(examples.join(', '))}${n > examples.length ? ` +${n - examples.length}` : ''}`;
    });
    blocks.push(section(fitLines('*Excluded (will not run)*', reasons, MAX_SECTION_TEXT, (n) => `• …and ${n} more reasons`)));
  }
  if (warnings.length > 0) {
    blocks.push(
      section(
        fitLines(
          '*:warning: Warnings*',
          warnings.map((w) => `• ${escapeText(w)}`),
          MAX_SECTION_TEXT,
          (n) => `• …and ${n} more warnings`,
        ),
      ),
    );
  }
  return blocks;
};

export type ApprovalState = {
  readonly approvedBy: readonly string[];
  readonly decided?: { readonly status: string; readonly by?: string; readonly reason?: string };
  readonly freeze?: { readonly on: boolean; readonly reason?: string };
  /** What the run was planned from (selectors, pre-flight); absent for runs planned before fleet targeting. */
  readonly targeting?: RunTargeting | null;
};

/**
 * The request an approver decides on: everything that is bound by the plan digest is shown. Buttons
 * carry the run id and the digest, so an approval applies to exactly this plan.
 */
export const approvalMessage = (
  run: RunView,
  groups: readonly TargetGroup[],
  state: ApprovalState,
): { text: string; blocks: KnownBlock[] } => {
  const text = `Approval requested by ${mention(run.requesterId)}: ${run.toolTitle} — ${run.actionTitle} on ${run.targetCount} instance(s) under ${escapeText(run.changeNumber)}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Approval: ${run.toolTitle}`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Action*\n${run.actionTitle}${run.mutates ? ' (changes hosts)' : ''}` },
        { type: 'mrkdwn', text: `*Requester*\n${mention(run.requesterId)}` },
        { type: 'mrkdwn', text: `*Change*\n${escapeText(run.changeNumber)}` },
        { type: 'mrkdwn', text: `*Instances*\n${run.targetCount}` },
        { type: 'mrkdwn', text: `*Parameters*\n${paramsText(run.params)}`.slice(0, 2000) },
        // What Continue after a halt and the executor's waves are bound to (covered by the plan digest).
        ...(run.rollout ? [{ type: 'mrkdwn' as const, text: `*Rollout*\n${describeRollout(run.rollout, run.targetCount)}` }] : []),
        {
          type: 'mrkdwn',
          text: `*Status*\n${label(run.status)}${run.approvalsRequired > 1 ? `\nneeds ${run.approvalsRequired} different approvers` : ''}`,
        },
      ],
    },
    ...(run.rerunOf || run.scheduledFor
      ? [
          {
            type: 'context' as const,
            elements: [
              ...(run.rerunOf
                ? [{ type: 'mrkdwn' as const, text: `:repeat: Re-run of the failed instances of run \`${run.rerunOf}\`` }]
                : []),
              ...(run.scheduledFor
                ? [
                    {
                      type: 'mrkdwn' as const,
                      text: `:calendar: The change window opens ${slackDate(run.scheduledFor)}: once approved, the run waits until then.`,
                    },
                  ]
                : []),
            ],
          },
        ]
      : []),
    ...(state.targeting ? targetingBlocks(state.targeting) : []),
    { type: 'section', text: { type: 'mrkdwn', text: groupsText(groups, '*Targets by account/region*', state.targeting) } },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `script sha256 \`${run.scriptSha256}\`` },
        { type: 'mrkdwn', text: `plan digest \`${run.planDigest}\` · run \`${run.id}\`` },
        { type: 'mrkdwn', text: `expires ${slackDate(run.approvalExpiresAt)}` },
      ],
    },
  ];
  if (state.freeze?.on) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:snowflake: *Change freeze is on*${state.freeze.reason ? `: ${escapeText(state.freeze.reason)}` : ''}. Approvals are blocked.`.slice(
          0,
          3000,
        ),
      },
    });
  }
  if (state.approvedBy.length > 0) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approved by ${state.approvedBy.map(mention).join(', ')} (${state.approvedBy.length} of ${run.approvalsRequired})`,
        },
      ],
    });
  }
  if (state.decided) {
    const by = state.decided.by ? ` by ${mention(state.decided.by)}` : '';
    const reason = state.decided.reason ? `: ${escapeText(state.decided.reason)}` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${label(state.decided.status)}*${by}${reason}`.slice(0, 3000) } });
  } else {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          style: 'primary',
          action_id: APPROVE_ACTION_ID,
          text: { type: 'plain_text', text: 'Approve' },
          value: `${run.id}:${run.planDigest}`,
        },
        { type: 'button', style: 'danger', action_id: REJECT_ACTION_ID, text: { type: 'plain_text', text: 'Reject' }, value: run.id },
      ],
    });
  }
  return { text, blocks };
};
