import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

export type MessageContent = { readonly text: string; readonly blocks?: readonly KnownBlock[] };

export type Sender = {
  /** Posts a message (a thread reply when threadTs is set) and returns its ts. */
  readonly post: (channel: string, content: MessageContent, threadTs?: string) => Promise<string | undefined>;
  /**
   * Updates a message, coalescing bursts: only the latest content is sent, at most once per
   * `minIntervalMs` per message (counted from the previous send, not from the burst), so 5,000
   * progress events cost a handful of chat.update calls. The latest content is always sent.
   */
  readonly update: (channel: string, ts: string, content: MessageContent) => void;
  /** An ephemeral message; resolves false when Slack refused it (e.g. the bot cannot see the channel). */
  readonly ephemeral: (channel: string, user: string, text: string) => Promise<boolean>;
  /** Sends every pending update now (shutdown, tests). */
  readonly flush: () => Promise<void>;
};

type Entry = {
  /** The newest content not yet sent (undefined when the last send carried the newest). */
  content?: MessageContent;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
  /** When the last chat.update of this message started (epoch ms). */
  lastSentAt: number;
  /** Drops the entry once it has been idle for the interval: memory stays bounded by the busy messages. */
  forget?: NodeJS.Timeout;
};

export const createSender = (client: WebClient, logger: Logger, options: { readonly minIntervalMs?: number } = {}): Sender => {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  // Kept after a send too: the next update of the same message waits out the interval from that send.
  const entries = new Map<string, Entry>();

  const forgetLater = (key: string, entry: Entry): void => {
    if (entry.forget) clearTimeout(entry.forget);
    entry.forget = setTimeout(() => {
      if (entries.get(key) === entry && !entry.content && !entry.timer && !entry.inFlight) entries.delete(key);
    }, minIntervalMs);
    entry.forget.unref();
  };

  const schedule = (channel: string, ts: string, key: string, entry: Entry): void => {
    if (entry.timer) return;
    const wait = Math.max(0, entry.lastSentAt + minIntervalMs - Date.now());
    entry.timer = setTimeout(() => void send(channel, ts, key, entry), wait);
  };

  const send = async (channel: string, ts: string, key: string, entry: Entry, force = false): Promise<void> => {
    entry.timer = undefined;
    while (entry.inFlight) await entry.inFlight;
    const content = entry.content;
    if (!content || (entry.timer && !force)) return;
    // A send that ended late (or a racing timer) never shortens the interval: wait out the rest.
    if (!force && entry.lastSentAt + minIntervalMs > Date.now()) {
      schedule(channel, ts, key, entry);
      return;
    }
    entry.content = undefined;
    entry.lastSentAt = Date.now();
    const sent = client.chat
      .update({ channel, ts, text: content.text, blocks: content.blocks ? [...content.blocks] : undefined })
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error, channel, ts }, 'chat.update failed'),
      )
      .finally(() => {
        if (entry.inFlight === sent) entry.inFlight = undefined;
        if (!entry.content && !entry.timer) forgetLater(key, entry);
      });
    entry.inFlight = sent;
    await sent;
  };

  return {
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
    update: (channel, ts, content) => {
      const key = `${channel}|${ts}`;
      let entry = entries.get(key);
      if (!entry) {
        entry = { lastSentAt: Number.NEGATIVE_INFINITY };
        entries.set(key, entry);
      }
      if (entry.forget) clearTimeout(entry.forget);
      entry.forget = undefined;
      entry.content = content;
      schedule(channel, ts, key, entry);
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
        [...entries.entries()].map(async ([key, entry]) => {
          if (entry.timer) clearTimeout(entry.timer);
          const [channel, ts] = key.split('|') as [string, string];
          await send(channel, ts, key, entry, true);
        }),
      );
    },
  };
};
