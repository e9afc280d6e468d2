import type { App, RespondArguments } from '@slack/bolt';
import { requestModal } from '../../blocks/requestModal.ts';
import { failingCredentialLines } from '../../loadCredentialLines.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { registerOpsCommand } from './opsCommand.ts';

/**
 * One slash command per tool: ack at once, check who may request it from where (TOOL_REQUESTER_GROUPS,
 * TOOL_ALLOWED_CHANNELS; checked again on submission), then open the request modal. Plus `/ops`.
 */
export const registerCommands = (app: App, deps: SlackDeps): void => {
  for (const tool of deps.registry.tools) {
    app.command(tool.command, async ({ ack, body, client, respond }) => {
      await ack();
      const first = tool.actions[0];
      if (!first) return;
      const allowed = await deps.requestGate.check({ toolId: tool.id, userId: body.user_id, channelId: body.channel_id, stage: 'command' });
      if (!allowed.ok) {
        deps.logger.info({ user: body.user_id, tool: tool.id, channel: body.channel_id, code: allowed.code }, 'request refused');
        const text = `:no_entry: ${allowed.message}`;
        try {
          await respond({ response_type: 'ephemeral', text } as RespondArguments);
        } catch (error) {
          deps.logger.warn({ err: error }, 'response_url failed; answering with an ephemeral message');
          await deps.sender.ephemeral(body.channel_id, body.user_id, text);
        }
        return;
      }
      await client.views.open({
        trigger_id: body.trigger_id,
        view: requestModal(tool, first, { tool: tool.id, channel: body.channel_id }, {}, deps.fleet, await failingCredentialLines(deps)),
      });
    });
  }
  registerOpsCommand(app, deps);
};
