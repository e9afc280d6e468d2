import type { App } from '@slack/bolt';
import { requestModal } from '../../blocks/requestModal.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { registerOpsCommand } from './opsCommand.ts';

/** One slash command per tool: ack at once, then open the request modal built from the tool definition. Plus `/ops`. */
export const registerCommands = (app: App, deps: SlackDeps): void => {
  for (const tool of deps.registry.tools) {
    app.command(tool.command, async ({ ack, body, client }) => {
      await ack();
      const first = tool.actions[0];
      if (!first) return;
      await client.views.open({
        trigger_id: body.trigger_id,
        view: requestModal(tool, first, { tool: tool.id, channel: body.channel_id }),
      });
    });
  }
  registerOpsCommand(app, deps);
};
