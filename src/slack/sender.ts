import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type MessageContent = { readonly text: string; readonly blocks?: readonly KnownBlock[] };

export type Sender = {
  /** Posts a message (a thread reply when threadTs is set) and returns its ts. */
  readonly post: (channel: string, content: MessageContent, threadTs?: string) => Promise<string | undefined>;
  /**
   * Updates a message, coalescing bursts: only the latest content is sent, at most once per
   * `minIntervalMs` per message, so 5,000 progress events cost a handful of chat.update calls.
   */
  readonly update: (channel: string, ts: string, content: MessageContent) => void;
  /** An ephemeral message; resolves false when Slack refused it (e.g. the bot cannot see the channel). */
  readonly ephemeral: (channel: string, user: string, text: string) => Promise<boolean>;
  /** Sends every pending update now (shutdown, tests). */
  readonly flush: () => Promise<void>;
};

type Pending = { content: MessageContent; timer?: NodeJS.Timeout; inFlight?: Promise<void>; lastSentAt: number };

export const createSender = (client: WebClient, logger: Logger, options: { readonly minIntervalMs?: number } = {}): Sender => {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  const pending = new Map<string, Pending>();

  const send = async (channel: string, ts: string, key: string): Promise<void> => {
    const entry = pending.get(key);
    if (!entry) return;
    entry.timer = undefined;
    const content = entry.content;
    entry.lastSentAt = Date.now();
    entry.inFlight = client.chat
      .update({ channel, ts, text: content.text, blocks: content.blocks ? [...content.blocks] : undefined })
      .then(() => undefined, (error: unknown) => logger.warn({ err: error, channel, ts }, 'chat.update failed'))
      .finally(() => {
        entry.inFlight = undefined;
        if (entry.content === content && !entry.timer) pending.delete(key);
      });
    await entry.inFlight;
  };

  return {
    post: async (channel, content, threadTs) => {
      try {
        const answer = await client.chat.postMessage({
          channel, text: content.text, blocks: content.blocks ? [...content.blocks] : undefined, ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false, unfurl_media: false,
        });
        return answer.ts;
      } catch (error) {
        logger.warn({ err: error, channel }, 'chat.postMessage failed');
        return undefined;
      }
    },
    update: (channel, ts, content) => {
      const key = `${channel}|${ts}`;
      const entry = pending.get(key) ?? { content, lastSentAt: 0 };
      entry.content = content;
      pending.set(key, entry);
      if (entry.timer) return;
      const wait = Math.max(0, entry.lastSentAt + minIntervalMs - Date.now());
      entry.timer = setTimeout(() => {
        void (entry.inFlight ?? Promise.resolve()).then(() => send(channel, ts, key));
      }, wait);
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
    flush: async () => {
      await Promise.all(
        [...pending.entries()].map(async ([key, entry]) => {
          if (entry.timer) clearTimeout(entry.timer);
          await entry.inFlight;
          const [channel, ts] = key.split('|') as [string, string];
          await send(channel, ts, key);
        }),
      );
    },
  };
};
