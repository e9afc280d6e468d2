import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { escapeText } from '../../../domain/escapeText.ts';
import { runLogFields } from '../../../logging/runLogFields.ts';
import { CONTINUE_ACTION_ID, STOP_ACTION_ID } from '../../blocks/haltControls.ts';
import type { SlackDeps } from '../../slackDeps.ts';

const runId = z.uuid();

/** Continue and Stop on a halted rollout (parent message or the thread reply that says why it halted). */
export const registerHaltActions = (app: App, deps: SlackDeps): void => {
  const handle = (actionId: string, verb: 'continue' | 'stop') =>
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action }) => {
      await ack();
      const channel = body.channel?.id ?? deps.approvalChannelId;
      const id = runId.safeParse(action.value);
      if (!id.success) {
        await deps.sender.ephemeral(channel, body.user.id, `:no_entry: This button is malformed; nothing was done (${verb}).`);
        return;
      }
      const p = { runId: id.data, userId: body.user.id };
      const result = verb === 'continue' ? await deps.continuer.continue(p) : await deps.stopper.stop(p);
      const log = deps.logger.child({ runId: id.data, user: body.user.id });
      if (!result.ok) {
        log.info({ code: result.code }, `${verb} refused`);
        await deps.sender.ephemeral(channel, body.user.id, `:no_entry: ${escapeText(result.message)}`);
        return;
      }
      log.info(runLogFields(result.run), verb === 'continue' ? 'rollout continued' : 'rollout stopped');
      // The service queued what it owes Slack in its transaction.
      deps.wakeOutbox();
    });
  handle(CONTINUE_ACTION_ID, 'continue');
  handle(STOP_ACTION_ID, 'stop');
};
