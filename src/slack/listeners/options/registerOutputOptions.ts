import type { App } from '@slack/bolt';
import { searchRunInstances } from '../../../db/queries/runFiles.ts';
import { runIdOfResultsBlock, VIEW_OUTPUT_ACTION_ID } from '../../blocks/resultsControls.ts';
import { label } from '../../blocks/statusEmoji.ts';
import type { SlackDeps } from '../../slackDeps.ts';

// Slack shows at most 100 options; an option's text is at most 75 characters.
const MAX_OPTIONS = 100;

/** The "View output" picker's options: the run's instances matching what was typed, for people who may see the run. */
export const registerOutputOptions = (app: App, deps: SlackDeps): void => {
  app.options<'block_suggestion'>({ action_id: VIEW_OUTPUT_ACTION_ID }, async ({ ack, body }) => {
    const runRef = runIdOfResultsBlock(body.block_id);
    const found = runRef ? await deps.runAccess.find(body.user.id, runRef) : null;
    if (!found?.ok) {
      await ack({ options: [] });
      return;
    }
    const picks = await searchRunInstances(deps.pool, found.run.id, body.value ?? '', MAX_OPTIONS);
    await ack({
      options: picks.map((p) => ({
        // plain_text: shown as typed, never parsed as markup.
        text: { type: 'plain_text' as const, text: `${p.instance_id} ${label(p.status)} ${p.computer_name ?? ''}`.trim().slice(0, 75) },
        value: p.instance_id,
      })),
    });
  });
};
