import type { App, BlockAction, ButtonAction, ExternalSelectAction } from '@slack/bolt';
import { oweFile } from '../../../db/queries/outbox.ts';
import { findExecutionOutput } from '../../../db/queries/runFiles.ts';
import { escapeText } from '../../../domain/escapeText.ts';
import { outputModal } from '../../blocks/outputModal.ts';
import { RESULTS_CSV_ACTION_ID, runIdOfResultsBlock, VIEW_OUTPUT_ACTION_ID } from '../../blocks/resultsControls.ts';
import type { SlackDeps } from '../../slackDeps.ts';

/**
 * The results controls: "View output" opens an instance's stdout/stderr in a modal; "Results as CSV" owes the
 * per-instance results file to the clicker's DM. Both only for people who may see the run (runAccess).
 */
export const registerResultActions = (app: App, deps: SlackDeps): void => {
  const refuse = async (body: BlockAction, text: string): Promise<void> => {
    const channel = body.channel?.id;
    if (channel) await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(text)}`);
  };

  app.action<BlockAction<ExternalSelectAction>>(VIEW_OUTPUT_ACTION_ID, async ({ ack, body, action, client }) => {
    await ack();
    const runRef = runIdOfResultsBlock(action.block_id);
    const instanceId = action.selected_option?.value;
    if (!runRef || !instanceId) return;
    const found = await deps.runAccess.find(body.user.id, runRef);
    if (!found.ok) return refuse(body, found.message);
    const output = await findExecutionOutput(deps.pool, found.run.id, instanceId);
    if (!output) return refuse(body, `The run has no instance ${instanceId}.`);
    await client.views.open({ trigger_id: body.trigger_id, view: outputModal(found.run.id, output) });
  });

  app.action<BlockAction<ButtonAction>>(RESULTS_CSV_ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const found = await deps.runAccess.find(body.user.id, action.value ?? '');
    if (!found.ok) return refuse(body, found.message);
    await oweFile(deps.pool, found.run.id, { file: 'results', to: { kind: 'dm', user: body.user.id } });
    deps.wakeOutbox();
    const channel = body.channel?.id;
    if (channel) {
      await deps.sender.ephemeral(
        channel,
        body.user.id,
        ':page_facing_up: The per-instance results are on their way to you as a CSV file in a DM.',
      );
    }
  });
};
