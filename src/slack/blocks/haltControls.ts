import type { KnownBlock } from '@slack/types';
import { haltText, type Halt } from '../../domain/rolloutPolicy.ts';

export const CONTINUE_ACTION_ID = 'continue_run';
export const STOP_ACTION_ID = 'stop_run';

/**
 * Continue and Stop for a halted rollout (on its parent message while it is halted, and on the thread reply
 * that says why). Continue needs an approver who is not the requester; Stop ends the run. Both confirm first.
 */
export const haltControls = (runId: string): KnownBlock => ({
  type: 'actions',
  block_id: 'halt_controls',
  elements: [
    {
      type: 'button',
      action_id: CONTINUE_ACTION_ID,
      value: runId,
      style: 'primary',
      text: { type: 'plain_text', text: 'Continue' },
      confirm: {
        title: { type: 'plain_text', text: 'Continue the rollout?' },
        text: {
          type: 'mrkdwn',
          text: 'The next wave is sent. The failures so far are accepted; the error budget applies again to what fails from now on.',
        },
        confirm: { type: 'plain_text', text: 'Continue' },
        deny: { type: 'plain_text', text: 'Not yet' },
      },
    },
    {
      type: 'button',
      action_id: STOP_ACTION_ID,
      value: runId,
      style: 'danger',
      text: { type: 'plain_text', text: 'Stop' },
      confirm: {
        title: { type: 'plain_text', text: 'Stop the rollout?' },
        text: { type: 'mrkdwn', text: 'Nothing more is sent; the run ends as stopped.' },
        confirm: { type: 'plain_text', text: 'Stop' },
        deny: { type: 'plain_text', text: 'Keep it halted' },
        style: 'danger',
      },
    },
  ],
});

/** The thread reply when a rollout halts: why (numbers only, nothing from people or hosts), then the buttons. */
export const haltedMessage = (runId: string, halt: Halt): { text: string; blocks: KnownBlock[] } => {
  const why = haltText(halt);
  return {
    text: `:double_vertical_bar: Rollout ${why}.`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:double_vertical_bar: *Rollout ${why}.*\nNothing more is sent until an approver other than the requester presses *Continue*; *Stop* ends the run.`,
        },
      },
      haltControls(runId),
    ],
  };
};
