import type { App } from '@slack/bolt';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchInventory } from '../../../db/queries/inventorySearch.ts';
import { MAX_OPTIONS, pickerOptions } from '../../blocks/pickerOptions.ts';
import { PICKER_ID, PICKER_MIN_QUERY, requestMetadataSchema } from '../../blocks/requestModal.ts';
import type { SlackDeps } from '../../slackDeps.ts';

const parseMetadata = (text: string | undefined) => {
  try {
    return requestMetadataSchema.safeParse(JSON.parse(text || '{}'));
  } catch {
    return requestMetadataSchema.safeParse(undefined);
  }
};

/** Longest query searched: ids, names and IPs are shorter; more is noise. */
const MAX_QUERY = 100;

export const registerOptions = (app: App, deps: SlackDeps): void => {
  // The request modal's type-ahead picker: instances from the inventory, only for people who may request the tool.
  app.options<'block_suggestion'>({ type: 'block_suggestion', action_id: PICKER_ID }, async ({ ack, body }) => {
    const metadata = parseMetadata(body.view?.private_metadata);
    const query = body.value.trim().slice(0, MAX_QUERY);
    // Slack asks only after min_query_length characters; a shorter (or forged) query gets nothing.
    if (!metadata.success || [...query].length < PICKER_MIN_QUERY) {
      await ack({ options: [] });
      return;
    }
    const work = (async () => {
      const allowed = await deps.requestGate.check({
        toolId: metadata.data.tool,
        userId: body.user.id,
        channelId: metadata.data.channel,
        stage: 'options',
      });
      if (!allowed.ok) return [];
      return pickerOptions(await searchInventory(deps.pool, query, MAX_OPTIONS));
    })();
    // Slack shows nothing after 3 s: answer with no options rather than late.
    const options = await Promise.race([work, sleep(deps.submitBudgetMs).then(() => undefined)]).catch((error: unknown) => {
      deps.logger.warn({ err: error, user: body.user.id }, 'picker search failed');
      return [];
    });
    if (options === undefined) deps.logger.warn({ user: body.user.id }, 'picker search took longer than Slack waits');
    await ack({ options: options ?? [] });
  });
};
