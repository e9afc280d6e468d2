import type { ModalView } from '@slack/types';

export const REJECT_CALLBACK_ID = 'reject_reason';

/** Reject asks for a reason, which is posted in the run's thread and kept with the decision. */
export const rejectModal = (runId: string): ModalView => ({
  type: 'modal',
  callback_id: REJECT_CALLBACK_ID,
  private_metadata: JSON.stringify({ runId }),
  title: { type: 'plain_text', text: 'Reject request' },
  submit: { type: 'plain_text', text: 'Reject' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Reason' },
      element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 2000 },
    },
  ],
});
