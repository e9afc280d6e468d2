import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import { appendAudit } from '../db/queries/audit.ts';
import {
  claimOwed,
  failOwed,
  hasOwedDm,
  holdOwed,
  markOwedSent,
  notePostStarted,
  outboxBacklog,
  oweDm,
  retryOwed,
  setOwedFileId,
  type OwedRow,
} from '../db/queries/outbox.ts';
import { escapeText } from '../domain/escapeText.ts';
import { backoffMs, createDeliveryLoop } from '../jobs/createDeliveryLoop.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { classifySlackError } from './classifySlackError.ts';
import { FIND_POSTED_MAX_CALLS, findPosted, owedMetadata } from './findPosted.ts';
import { renderOwed, type Delivery } from './renderOwed.ts';

export type Outbox = {
  readonly start: () => void;
  /** Something was queued: look now instead of at the next interval. */
  readonly wake: () => void;
  /** Sends everything due now (tests); rows waiting for a retry stay queued. */
  readonly drain: () => Promise<void>;
  /** Stops claiming; the delivery in flight gets `graceMs`, after which its claim lapses and any replica resends. */
  readonly stop: (graceMs?: number) => Promise<void>;
  /** Messages still owed, the age of the oldest, and seconds since the last delivery or give-up (any replica). */
  readonly backlog: () => Promise<{ pending: number; oldestSeconds: number | null; sinceProgressSeconds: number | null }>;
};

export type OutboxOptions = {
  readonly pool: DatabasePool;
  /** A client without retries of its own (the outbox retries) that rejects 429s (the outbox waits them out). */
  readonly client: WebClient;
  readonly registry: ToolRegistry;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Posts per channel: a burst of this many, then one per `postIntervalMs` (Slack allows ~1 per second per channel). */
  readonly postBurst?: number;
  readonly postIntervalMs?: number;
  /** Updates of one message: at most one per this interval; the updates in between are coalesced. */
  readonly updateIntervalMs?: number;
  /** Backoff of a failed send: first retry after retryBaseMs, doubling up to retryMaxMs, forever. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
};

// A claim covers one Slack call (its client times out after SLACK_CALL_TIMEOUT_MS) started within the first
// seconds of the claim; rows of a batch not started by then are released, never sent after their claim lapsed.
// Short, because a crashed process's claims hold their streams back until they lapse.
export const SLACK_CALL_TIMEOUT_MS = 10_000;
const CLAIM_LEASE_SECONDS = 15;
const START_WITHIN_MS = CLAIM_LEASE_SECONDS * 1000 - SLACK_CALL_TIMEOUT_MS - 1_000;
// A file delivery is up to five calls (DM channel, files.info, upload URL, the bytes, complete), each time-bounded.
const FILE_LEASE_SECONDS = (6 * SLACK_CALL_TIMEOUT_MS) / 1000;

/**
 * The delivery of owed Slack messages (issue 11), on the shared delivery loop (src/jobs/createDeliveryLoop.ts).
 * Claims the heads of streams (any replica, SKIP LOCKED), renders each from the database, sends it, and records
 * the outcome; nothing else waits on Slack.
 */
export const createOutbox = (o: OutboxOptions): Outbox => {
  const intervalMs = o.intervalMs ?? 500;
  const burst = o.postBurst ?? 4;
  const postIntervalMs = o.postIntervalMs ?? 1_000;
  const updateIntervalMs = o.updateIntervalMs ?? 1_000;
  const retryBaseMs = o.retryBaseMs ?? 500;
  const retryMaxMs = o.retryMaxMs ?? 30_000;
  const log = o.logger.child({ component: 'slack-outbox' });
  // This replica's view of Slack's limits: a 429's Retry-After per method, a token bucket per channel.
  const blockedUntil = new Map<string, number>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const lastUpdate = new Map<string, number>();

  const postWaitMs = (channel: string, now: number): number => {
    const b = buckets.get(channel) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / postIntervalMs);
    b.at = now;
    buckets.set(channel, b);
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) * postIntervalMs);
  };
  const takePost = (channel: string): void => {
    const b = buckets.get(channel);
    if (b) b.tokens -= 1;
  };

  /**
   * A file: get an upload URL, record the file id, POST the bytes, complete the upload into the thread. A
   * retry of the same row first asks Slack whether the recorded file was already shared there (a crash after
   * completing), so a file is never shared twice; an upload that was never completed is invisible and redone.
   */
  const upload = async (row: OwedRow, d: Extract<Delivery, { method: 'files.upload' }>): Promise<void> => {
    // Several Slack calls: hold the row long enough that no other replica takes it meanwhile.
    await holdOwed(o.pool, row.id, FILE_LEASE_SECONDS);
    let channel = d.channel;
    if (/^[UW]/u.test(channel)) {
      const opened = await o.client.conversations.open({ users: channel });
      channel = opened.channel?.id ?? channel;
    }
    if (row.file_id) {
      const info = await o.client.files.info({ file: row.file_id }).catch((error: unknown) => {
        if ((error as { data?: { error?: string } }).data?.error === 'file_not_found') return null;
        throw error;
      });
      // Shared in this channel (and thread) already: the completion went through before the crash or timeout.
      const shares = (info?.file?.shares ?? {}) as Record<string, Record<string, { thread_ts?: string }[]> | undefined>;
      const here = [...(shares.public?.[channel] ?? []), ...(shares.private?.[channel] ?? [])];
      if (here.some((x) => (d.threadTs ? x.thread_ts === d.threadTs : true))) return;
    }
    const bytes = Buffer.from(d.content, 'utf8');
    const url = await o.client.files.getUploadURLExternal({ filename: d.filename, length: bytes.length });
    if (!url.upload_url || !url.file_id) throw new Error('files.getUploadURLExternal answered without upload_url or file_id');
    await setOwedFileId(o.pool, row.id, url.file_id);
    const answer = await fetch(url.upload_url, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
      signal: AbortSignal.timeout(SLACK_CALL_TIMEOUT_MS),
    });
    await answer.body?.cancel();
    if (!answer.ok) throw new Error(`file upload answered HTTP ${answer.status}`);
    takePost(channel);
    await o.client.files.completeUploadExternal({
      files: [{ id: url.file_id, title: d.title }],
      channel_id: channel,
      ...(d.threadTs ? { thread_ts: d.threadTs } : {}),
      initial_comment: d.comment,
    });
  };

  /**
   * An earlier attempt of this row started a post (the row says when): Slack may have accepted it and the
   * answer, or our record of it, been lost. Look for the message before posting again. A lookup Slack does
   * not allow here (a missing history scope, a channel the bot is not in) cannot prove it absent: the row is
   * posted (a message twice rather than none) and that is logged.
   */
  const alreadyPosted = async (row: OwedRow, channel: string, threadTs: string | undefined) => {
    if (row.post_started_at === null) return undefined;
    // Several Slack calls, then the post: hold the row long enough that no other replica takes it meanwhile.
    await holdOwed(o.pool, row.id, ((FIND_POSTED_MAX_CALLS + 1) * SLACK_CALL_TIMEOUT_MS) / 1000);
    try {
      return await findPosted(o.client, { id: row.id, channel, since: row.post_started_at, ...(threadTs ? { threadTs } : {}) });
    } catch (error) {
      // Slack answering, but not with the messages (a scope, membership, a thread gone): posted again. A limit or
      // an outage: retried later like the post itself.
      if ((error as { code?: string }).code !== 'slack_webapi_platform_error') throw error;
      const answer = (error as { data?: { error?: string } }).data?.error;
      log.warn({ id: String(row.id), channel, error: answer }, 'cannot tell whether an earlier attempt posted this message; posting it');
      return undefined;
    }
  };

  const call = async (row: OwedRow, d: Exclude<Delivery, { method: 'files.upload' }>, channel: string): Promise<string | undefined> => {
    const blocks = d.content.blocks ? [...d.content.blocks] : undefined;
    if (d.method === 'chat.update') {
      await o.client.chat.update({ channel: d.channel, ts: d.ts, text: d.content.text, blocks });
      return d.ts;
    }
    const found = await alreadyPosted(row, channel, d.threadTs);
    if (found) {
      log.info(
        { id: String(row.id), channel: found.channel, ts: found.ts },
        'an earlier attempt had posted this message; not posting it again',
      );
      await d.posted?.(found.channel, found.ts);
      return found.ts;
    }
    takePost(channel);
    await notePostStarted(o.pool, row.id);
    const answer = await o.client.chat.postMessage({
      channel,
      text: d.content.text,
      blocks,
      ...(d.threadTs ? { thread_ts: d.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
      metadata: owedMetadata(row.id),
    });
    // Posting to a user id lands in the DM channel: remember that channel, not the user id.
    if (answer.ts) await d.posted?.(answer.channel ?? channel, answer.ts);
    return answer.ts;
  };

  const giveUp = async (row: OwedRow, error: string, requester: string | undefined, channel: string | undefined): Promise<void> => {
    await failOwed(o.pool, row.id, error);
    log.error({ id: String(row.id), stream: row.stream, kind: row.kind, runId: row.run_id, channel, error }, 'Slack message given up');
    if (!row.run_id) return;
    await appendAudit(o.pool, {
      runId: row.run_id,
      actor: 'pcm-ops',
      action: 'slack_message_failed',
      reason: error,
      data: { kind: row.kind, channel },
    });
    // The fallback: the requester hears about it in their DM, once per run (a DM that fails is not followed
    // by another; a reply given up because its parent was is not news).
    if (requester && channel && row.kind !== 'dm' && channel !== requester && !(await hasOwedDm(o.pool, row.run_id))) {
      const where = `<#${channel}>`;
      await oweDm(
        o.pool,
        requester,
        `:warning: A message about your request \`${row.run_id}\` could not be delivered to ${where} (${escapeText(error)}). See \`/ops show ${row.run_id}\`.`,
        row.run_id,
      );
    }
  };

  const deliver = async (row: OwedRow): Promise<void> => {
    const rendered = await renderOwed(o.pool, o.registry, row);
    const requester = rendered.run?.requester_id;
    if ('giveUp' in rendered) return giveUp(row, rendered.giveUp, requester, undefined);
    const d = rendered.delivery;
    const now = Date.now();
    const wait = Math.max(
      (blockedUntil.get(d.method) ?? 0) - now,
      d.method !== 'chat.update'
        ? postWaitMs(d.channel, now)
        : (lastUpdate.get(`${d.channel}|${d.ts}`) ?? -Infinity) + updateIntervalMs - now,
    );
    if (wait > 0) return retryOwed(o.pool, row.id, { delayMs: wait, countAttempt: false });

    let channel = d.channel;
    for (;;) {
      try {
        if (d.method === 'chat.update') lastUpdate.set(`${d.channel}|${d.ts}`, Date.now());
        if (d.method === 'files.upload') await upload(row, d);
        else await call(row, d, channel);
        await markOwedSent(o.pool, row.id);
        return;
      } catch (error) {
        const failure = classifySlackError(error);
        if (failure.kind === 'rate_limited') {
          blockedUntil.set(d.method, Date.now() + failure.retryAfterMs);
          log.warn({ method: d.method, retryAfterMs: failure.retryAfterMs }, 'Slack rate limited the outbox; waiting');
          return retryOwed(o.pool, row.id, { delayMs: failure.retryAfterMs, countAttempt: false, error: 'ratelimited' });
        }
        if (failure.kind === 'transient') {
          const delayMs = backoffMs(row.attempts, retryBaseMs, retryMaxMs);
          log.warn(
            { id: String(row.id), stream: row.stream, attempt: row.attempts, retryInMs: delayMs, error: failure.error },
            'Slack message not sent; will retry',
          );
          return retryOwed(o.pool, row.id, { delayMs, countAttempt: true, error: failure.error });
        }
        if (failure.channel && d.method === 'chat.postMessage' && d.fallbackChannel && channel !== d.fallbackChannel) {
          log.warn({ channel, error: failure.error, runId: row.run_id }, 'cannot post in the channel; posting to the requester instead');
          channel = d.fallbackChannel;
          continue;
        }
        return giveUp(row, failure.error, requester, channel);
      }
    }
  };

  const loop = createDeliveryLoop<OwedRow>({
    what: 'outbox',
    logger: log,
    intervalMs,
    claim: () => claimOwed(o.pool, { limit: 20, leaseSeconds: CLAIM_LEASE_SECONDS }),
    deliver: async (row, claim) => {
      // Not started while the claim is young enough for its call to end inside it: released, never sent late.
      if (claim.stopping.aborted || Date.now() - claim.claimedAt > START_WITHIN_MS) {
        await retryOwed(o.pool, row.id, { delayMs: 0, countAttempt: false });
        return;
      }
      await deliver(row);
    },
    onFault: async (row, error) => {
      log.error({ err: error, id: String(row.id), stream: row.stream }, 'outbox delivery fault; will retry');
      await retryOwed(o.pool, row.id, { delayMs: retryMaxMs, countAttempt: true, error: (error as Error).message });
    },
  });

  return {
    start: loop.start,
    wake: loop.wake,
    drain: loop.drain,
    backlog: () => outboxBacklog(o.pool),
    stop: loop.stop,
  };
};
