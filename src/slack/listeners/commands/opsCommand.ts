import type { App, RespondArguments } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { escapeText } from '../../../domain/escapeText.ts';
import { getFreeze } from '../../../db/queries/settings.ts';
import { findRun } from '../../../runs/findRun.ts';
import { inventorySyncText } from '../../blocks/inventorySyncText.ts';
import { historyMessage } from '../../blocks/historyMessage.ts';
import { mention } from '../../blocks/mention.ts';
import { opsHelpText } from '../../blocks/opsHelp.ts';
import { runDetailsMessage } from '../../blocks/runDetails.ts';
import { credentialStatusText } from '../../blocks/credentialStatusLines.ts';
import { loadCredentialLines } from '../../loadCredentialLines.ts';
import { loadRunDetails } from '../../loadRunDetails.ts';
import { toRunView } from '../../loadRunView.ts';
import type { SlackDeps } from '../../slackDeps.ts';
import { parseOpsCommand } from './parseOpsCommand.ts';
import { runLogFields } from '../../../logging/runLogFields.ts';

export const OPS_COMMAND = '/ops';

const commandBody = z.object({ user_id: z.string().min(1), channel_id: z.string().min(1), text: z.string().default('') }).loose();

type Reply = { readonly text: string; readonly blocks?: KnownBlock[] };

/**
 * `/ops history [n] | show <run> | cancel <run> | freeze on <reason> | freeze off`: acks at once, answers
 * the person who typed it (ephemeral, through the command's response_url).
 */
export const registerOpsCommand = (app: App, deps: SlackDeps): void => {
  app.command(OPS_COMMAND, async ({ ack, body, respond }) => {
    await ack();
    const parsed = commandBody.safeParse(body);
    if (!parsed.success) {
      deps.logger.warn({ issues: parsed.error.issues }, '/ops payload did not parse');
      return;
    }
    const { user_id: user, channel_id: channel, text } = parsed.data;
    const reply = async (content: Reply): Promise<void> => {
      try {
        await respond({
          response_type: 'ephemeral',
          text: content.text,
          ...(content.blocks ? { blocks: content.blocks } : {}),
        } as RespondArguments);
      } catch (error) {
        deps.logger.warn({ err: error }, '/ops response_url failed; answering with an ephemeral message');
        await deps.sender.ephemeral(channel, user, content.text);
      }
    };
    // Refusal messages are plain text (they may quote ServiceNow or what the person typed).
    const refused = (message: string): Reply => ({ text: `:no_entry: ${escapeText(message)}` });
    const command = parseOpsCommand(text);
    const log = deps.logger.child({ user, command: command.kind });

    switch (command.kind) {
      case 'help':
        await reply({ text: opsHelpText(command.problem) });
        return;
      case 'history': {
        // Everyone's runs for admins; otherwise one's own and those of the tools one approves.
        const runs = await deps.runAccess.history(user, command.limit);
        await reply(historyMessage(runs.map((r) => toRunView(r, deps.registry))));
        return;
      }
      case 'show': {
        const found = await deps.runAccess.find(user, command.runRef);
        if (!found.ok) {
          if (found.code === 'not_visible') log.info({ runRef: command.runRef }, 'show refused: not visible to this person');
          await reply(refused(found.message));
          return;
        }
        await reply(runDetailsMessage(await loadRunDetails(deps.pool, deps.registry, found.run)));
        return;
      }
      case 'cancel': {
        const found = await findRun(deps.pool, command.runRef);
        if (!found.ok) {
          await reply(refused(found.message));
          return;
        }
        const result = await deps.canceller.cancel({ runId: found.run.id, userId: user });
        if (!result.ok) {
          log.info({ ...runLogFields(found.run), code: result.code }, 'cancel refused');
          await reply(refused(result.message));
          return;
        }
        log.info({ ...runLogFields(result.run), outcome: result.outcome }, 'cancel accepted');
        await reply({
          text:
            result.outcome === 'cancelled'
              ? `:no_entry_sign: Cancelled \`${result.run.id}\`; nothing ran.`
              : `:octagonal_sign: Cancel requested for \`${result.run.id}\`: nothing more is sent and commands already sent are being cancelled.`,
        });
        deps.wakeOutbox();
        return;
      }
      case 'status': {
        const lines = await loadCredentialLines(deps, user);
        const text = credentialStatusText('*Credential status*', lines);
        await reply({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
        return;
      }
      case 'inventory_sync': {
        if (!deps.inventory) {
          await reply(refused('The inventory is not available on this bot.'));
          return;
        }
        const result = await deps.inventory.sync(user);
        if (!result.ok) {
          await reply(refused(result.message));
          return;
        }
        log.info(
          {
            scopes: result.results.length,
            failed: result.results.filter((r) => !r.ok).length,
            tagsFailed: result.results.filter((r) => !r.tags.ok).length,
          },
          'inventory synced on demand',
        );
        await reply({ text: inventorySyncText(result.results) });
        return;
      }
      case 'freeze_status': {
        const freeze = await getFreeze(deps.pool);
        await reply({
          text: freeze.on
            ? `:snowflake: The change freeze is on${freeze.reason ? `: ${escapeText(freeze.reason)}` : ''}${freeze.by ? ` (by ${mention(freeze.by)})` : ''}.`
            : ':sunny: No change freeze is on.',
        });
        return;
      }
      case 'freeze_on':
      case 'freeze_off': {
        const on = command.kind === 'freeze_on';
        const result = await deps.freezer.set({ userId: user, on, ...(command.kind === 'freeze_on' ? { reason: command.reason } : {}) });
        if (!result.ok) {
          log.info({ code: result.code }, 'freeze switch refused');
          await reply(refused(result.message));
          return;
        }
        if (!result.changed) {
          await reply({ text: on ? ':snowflake: The change freeze was already on with that reason.' : ':sunny: No change freeze was on.' });
          return;
        }
        log.info({ on }, 'change freeze switched');
        await reply({
          text: on ? `:snowflake: Change freeze is on: ${escapeText(result.freeze.reason ?? '')}` : ':sunny: Change freeze lifted.',
        });
        // The switch queued the announcement and the approval messages' refresh in its transaction.
        deps.wakeOutbox();
        return;
      }
    }
  });
};
