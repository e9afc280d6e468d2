import type { WebClient } from '@slack/web-api';

/** The metadata every owed post carries: which outbox row it delivers. */
export const OWED_EVENT_TYPE = 'pcm_ops_owed_message';
export const owedMetadata = (id: bigint) => ({ event_type: OWED_EVENT_TYPE, event_payload: { owed_id: String(id) } });

// Slack's clock and the database's may differ: look this far before the first attempt.
const CLOCK_MARGIN_SECONDS = 300;
const PAGE = 200;
// A thread or a channel this busy since the first attempt is not searched further (then the row is posted).
const MAX_PAGES = 10;
/** The most Slack calls one look takes (the DM channel, then the pages): the caller holds its claim that long. */
export const FIND_POSTED_MAX_CALLS = MAX_PAGES + 1;

type Found = { readonly channel: string; readonly ts: string };

/**
 * Whether an earlier attempt already posted owed row `id` (Slack accepted it, and the answer or the record of
 * it was lost): reads the thread (conversations.replies) or the channel (conversations.history) since the first
 * attempt and matches the row id in the message metadata. Throws what Slack answered (the caller decides).
 */
export const findPosted = async (
  client: WebClient,
  p: { readonly id: bigint; readonly channel: string; readonly threadTs?: string; readonly since: number },
): Promise<Found | undefined> => {
  let channel = p.channel;
  // A DM is addressed by user id; its messages are read from the DM channel.
  if (/^[UW]/u.test(channel)) channel = (await client.conversations.open({ users: channel })).channel?.id ?? channel;
  const oldest = String(Math.floor(p.since / 1000) - CLOCK_MARGIN_SECONDS);
  const wanted = String(p.id);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const common = { channel, oldest, limit: PAGE, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
    const answer = p.threadTs
      ? await client.conversations.replies({ ...common, ts: p.threadTs })
      : await client.conversations.history(common);
    for (const message of answer.messages ?? []) {
      const metadata = (message as { metadata?: { event_type?: string; event_payload?: { owed_id?: unknown } } }).metadata;
      if (metadata?.event_type === OWED_EVENT_TYPE && metadata.event_payload?.owed_id === wanted && message.ts)
        return { channel, ts: message.ts };
    }
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!answer.has_more || !cursor) return undefined;
  }
  return undefined;
};
