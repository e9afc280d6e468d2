import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type MessageContent = { readonly text: string; readonly blocks?: readonly KnownBlock[] };

/**
 * Immediate answers to the person in front of Slack (ephemeral refusals, a fault notice). Messages the bot
 * owes about runs go through the durable outbox (src/outbox/), not here.
 */
export type Sender = {
  /** Posts a message (a thread reply when threadTs is set) and returns its ts. */
  readonly post: (channel: string, content: MessageContent, threadTs?: string) => Promise<string | undefined>;
  /** An ephemeral message; resolves false when Slack refused it (e.g. the bot cannot see the channel). */
  readonly ephemeral: (channel: string, user: string, text: string) => Promise<boolean>;
};

export const createSender = (client: WebClient, logger: Logger): Sender => ({
  post: async (channel, content, threadTs) => {
    try {
      const answer = await client.chat.postMessage({
        channel,
        text: content.text,
        blocks: content.blocks ? [...content.blocks] : undefined,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      return answer.ts;
    } catch (error) {
      logger.warn({ err: error, channel }, 'chat.postMessage failed');
      return undefined;
    }
  },
  ephemeral: async (channel, user, text) => {
    try {
      await client.chat.postEphemeral({ channel, user, text });
      return true;
    } catch (error) {
      logger.warn({ err: error, channel, user }, 'chat.postEphemeral failed');
      return false;
    }
  },
});
