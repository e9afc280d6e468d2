import type { KnownBlock } from '@slack/types';
import { describeRollout, hasRollout, type Amount } from '../../domain/rolloutPolicy.ts';
import type { LoadedAction } from '../../tools/registry.ts';

const amountValue = (a: Amount): string => ('count' in a ? `${a.count}` : `${a.percent}%`);

const field = (blockId: string, label: string, hint: string, initial: string): KnownBlock => ({
  type: 'input',
  block_id: blockId,
  optional: true,
  label: { type: 'plain_text', text: label },
  hint: { type: 'plain_text', text: hint },
  element: { type: 'plain_text_input', action_id: blockId, max_length: 10, initial_value: initial },
});

/**
 * The action's rollout in the request modal: what it is, and when the definition allows it, fields to
 * adjust it within its bounds (block ids `rollout:*`, the submitter's error keys). Validated at submit.
 */
export const rolloutBlocks = (action: LoadedAction): KnownBlock[] => {
  const r = action.rollout;
  if (!r || !hasRollout(r)) return [];
  const about: KnownBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `*Rollout:* ${describeRollout(r)}. A wave starts when the one before has ended; the run halts when the canary fails or the error budget is spent (Continue needs an approver).`,
      },
    ],
  };
  const b = r.bounds;
  if (!b) return [about];
  return [
    about,
    ...(r.canary && 'perScope' in r.canary
      ? [
          field(
            'rollout:canary',
            'Canary (instances per account/region)',
            `${b.canaryPerScope.min} to ${b.canaryPerScope.max}.`,
            `${r.canary.perScope}`,
          ),
        ]
      : []),
    ...(r.wave
      ? [
          field(
            'rollout:wave',
            'Wave size',
            `A count or a percentage of the run: ${b.wavePercent.min}% to ${b.wavePercent.max}%.`,
            amountValue(r.wave),
          ),
        ]
      : []),
    ...(r.budget
      ? [
          field(
            'rollout:budget',
            'Error budget (whole run)',
            `Failures allowed over every account/region before the run halts: ${b.budgetPercent.min}% to ${b.budgetPercent.max}% of the run, or a count.`,
            amountValue(r.budget),
          ),
        ]
      : []),
    field(
      'rollout:pause',
      'Pause between waves (minutes)',
      `0 to ${Math.floor(b.maxPauseSeconds / 60)}.`,
      `${Math.round((r.pauseSeconds ?? 0) / 60)}`,
    ),
  ];
};
