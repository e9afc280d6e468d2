import { sql } from 'slonik';
import { z } from 'zod';
import type { ApprovalDecided, Decision, FreezeNotice, OwedFile, RunReply } from '../../domain/owedMessage.ts';
import type { Halt } from '../../domain/rolloutPolicy.ts';
import type { Db } from './db.ts';

// The Slack outbox (issue 11): rows are written with the state change that owes them and sent by src/outbox/.

export type OwedKind = 'run_parent' | 'run_reply' | 'approval' | 'channel_post' | 'dm' | 'file';

const streams = {
  run: (runId: string) => `run:${runId}`,
  channel: (channel: string) => `channel:${channel}`,
  dm: (user: string) => `dm:${user}`,
};

type Owed = { stream: string; kind: OwedKind; runId?: string | null; payload?: unknown; coalesceKey?: string };

/**
 * Queues one message. With a coalesce key, a waiting (unclaimed) row of the same message takes the new
 * payload instead: its content is rendered from the database when sent, so it shows the newest state.
 */
const owe = async (db: Db, o: Owed): Promise<void> => {
  const payload = sql.jsonb((o.payload ?? {}) as Parameters<typeof sql.jsonb>[0]);
  if (o.coalesceKey) {
    const merged = await db.maybeOne(sql.type(z.object({ id: z.bigint() }))`
      update slack_outbox set payload = ${payload}
      where id = (
        select id from slack_outbox
        where coalesce_key = ${o.coalesceKey} and state = 'pending' and (claimed_until is null or claimed_until <= now())
        order by id desc limit 1
        for update skip locked)
      returning id`);
    if (merged) return;
  }
  await db.query(sql.type(z.object({}))`
    insert into slack_outbox (stream, coalesce_key, run_id, kind, payload)
    values (${o.stream}, ${o.coalesceKey ?? null}, ${o.runId ?? null}, ${o.kind}, ${payload})`);
};

/** The run's parent message, posted the first time and updated after (coalesced). */
export const oweRunParent = (db: Db, runId: string): Promise<void> =>
  owe(db, { stream: streams.run(runId), kind: 'run_parent', runId, coalesceKey: `parent:${runId}` });

/** A reply in the run's thread, after everything queued before it in that thread (the parent first). */
export const oweRunReply = (db: Db, runId: string, reply: RunReply): Promise<void> =>
  owe(db, { stream: streams.run(runId), kind: 'run_reply', runId, payload: reply });

/**
 * The approval request, posted the first time and updated after (coalesced; `decided` once decided). In
 * the run's stream: it is posted after the requester's thread exists, so an approval always has a thread to report to.
 */
export const oweApproval = (db: Db, runId: string, decided?: ApprovalDecided): Promise<void> =>
  owe(db, { stream: streams.run(runId), kind: 'approval', runId, payload: decided ? { decided } : {}, coalesceKey: `approval:${runId}` });

/**
 * A file (issue 9): to a run's or its approval's thread in the run's stream (after the message it replies
 * to), or to a person's DM in their DM stream. Its content is generated from the database when it is sent.
 */
export const oweFile = (db: Db, runId: string, file: OwedFile): Promise<void> =>
  owe(db, { stream: file.to.kind === 'dm' ? streams.dm(file.to.user) : streams.run(runId), kind: 'file', runId, payload: file });

/**
 * Everything a new request owes, in the submit transaction: the parent message in the requester's channel
 * (the outbox falls back to their DM), the "submitted" reply, the approval request, and the complete target
 * list in the approval's thread.
 */
export const oweSubmitted = async (db: Db, runId: string): Promise<void> =>
  db.transaction(async (tx) => {
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, { kind: 'submitted' });
    await oweApproval(tx, runId);
    await oweFile(tx, runId, { file: 'target_list', to: { kind: 'approval_thread' } });
  });

/** A message in a channel, not about one run (e.g. the freeze announcement). `text` is escaped mrkdwn. */
export const oweChannelPost = (db: Db, channel: string, text: string): Promise<void> =>
  owe(db, { stream: streams.channel(channel), kind: 'channel_post', payload: { channel, text } });

/**
 * Owed when the change freeze switches: every open approval message shows (or drops) the banner (rendered
 * from the stored freeze when sent) and the approvals channel is told who switched it and why.
 */
export const oweFreezeNotice = async (db: Db, channel: string, notice: FreezeNotice): Promise<void> =>
  db.transaction(async (tx) => {
    const open = await tx.anyFirst(
      sql.type(z.object({ id: z.string() }))`select id from runs where status = 'pending_approval' order by created_at`,
    );
    for (const runId of open) await oweApproval(tx, runId);
    await owe(tx, { stream: streams.channel(channel), kind: 'channel_post', payload: { channel, freeze: notice } });
  });

/** A direct message to a person. `text` is escaped mrkdwn. */
export const oweDm = (db: Db, user: string, text: string, runId?: string): Promise<void> =>
  owe(db, { stream: streams.dm(user), kind: 'dm', runId: runId ?? null, payload: { user, text } });

/**
 * Owed by a decision: the approval message shows it (buttons gone once decided; a cancel request on a
 * decided run leaves it as it is), the parent shows the new status, the thread says who decided.
 * Call in the decision's transaction (its own savepoint then), so the thread tells decisions and the run's start in their real order.
 */
export const oweDecision = async (db: Db, runId: string, d: Decision): Promise<void> =>
  db.transaction(async (tx) => {
    // A cancel request, Continue or Stop comes after the approval was decided: its message stays as it is.
    if (d.event !== 'cancel_requested' && d.event !== 'continued' && d.event !== 'stopped') {
      await oweApproval(
        tx,
        runId,
        d.event === 'approval_recorded' ? undefined : { status: d.event, by: d.by, ...(d.reason ? { reason: d.reason } : {}) },
      );
    }
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, { kind: 'decision', decision: d });
  });

/** Owed when a run starts: the parent shows it and the thread says so. Call in the start transaction. */
export const oweRunStarted = async (db: Db, runId: string, targetCount: number): Promise<void> =>
  db.transaction(async (tx) => {
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, { kind: 'started', targetCount });
  });

/** Owed when a rollout halts: the parent shows it (with Continue and Stop) and the thread says why. Call in the halt transaction. */
export const oweRunHalted = async (db: Db, runId: string, halt: Halt): Promise<void> =>
  db.transaction(async (tx) => {
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, { kind: 'halted', halt });
  });

/**
 * Owed when a run ends (or expires): its final state, the summary and the per-instance results as a CSV file,
 * or for an expiry the approval message.
 */
export const oweRunFinished = async (db: Db, runId: string, reply: Extract<RunReply, { kind: 'summary' | 'expired' }>): Promise<void> =>
  db.transaction(async (tx) => {
    await oweRunParent(tx, runId);
    await oweRunReply(tx, runId, reply);
    if (reply.kind === 'expired') await oweApproval(tx, runId, { status: 'expired' });
    else await oweFile(tx, runId, { file: 'results', to: { kind: 'run_thread' } });
  });

const owedRow = z.object({
  id: z.bigint(),
  stream: z.string(),
  run_id: z.string().nullable(),
  kind: z.enum(['run_parent', 'run_reply', 'approval', 'channel_post', 'dm', 'file']),
  payload: z.unknown(),
  state: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  /** A file row's Slack file id, once obtained. */
  file_id: z.string().nullable(),
  /** When a chat.postMessage for this row was first started (ms since the epoch): an earlier attempt may have posted it. */
  post_started_at: z.number().nullable(),
});
export type OwedRow = z.infer<typeof owedRow>;

const cols = sql.fragment`id, stream, run_id, kind, payload, state, attempts, last_error, file_id, post_started_at`;

/**
 * Claims due rows that head their stream (no older unfinished row in it), so a stream is sent strictly in
 * order by one delivery at a time; other replicas skip what is claimed (SKIP LOCKED) until the claim lapses.
 */
export const claimOwed = async (db: Db, p: { limit: number; leaseSeconds: number }): Promise<readonly OwedRow[]> =>
  db.any(sql.type(owedRow)`
    update slack_outbox set attempts = attempts + 1, claimed_until = now() + make_interval(secs => ${p.leaseSeconds})
    where id in (
      select o.id from slack_outbox o
      where o.state = 'pending' and o.not_before <= now() and (o.claimed_until is null or o.claimed_until <= now())
        and not exists (select 1 from slack_outbox h where h.stream = o.stream and h.state = 'pending' and h.id < o.id)
      order by o.id
      limit ${p.limit}
      for update skip locked)
    returning ${cols}`);

export const markOwedSent = async (db: Db, id: bigint): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update slack_outbox set state = 'sent', done_at = now(), claimed_until = null, last_error = null where id = ${id} and state = 'pending'`);
};

/** Extends this delivery's claim on a row (a file takes several Slack calls). */
export const holdOwed = async (db: Db, id: bigint, leaseSeconds: number): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update slack_outbox set claimed_until = now() + make_interval(secs => ${leaseSeconds}) where id = ${id} and state = 'pending'`);
};

/** The intent of a post, recorded before chat.postMessage is called (the first attempt's time is kept). */
export const notePostStarted = async (db: Db, id: bigint): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update slack_outbox set post_started_at = coalesce(post_started_at, now()) where id = ${id} and state = 'pending'`);
};

/** Records the Slack file id obtained for a file row before its bytes are sent (still claimed by this delivery). */
export const setOwedFileId = async (db: Db, id: bigint, fileId: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`update slack_outbox set file_id = ${fileId} where id = ${id} and state = 'pending'`);
};

/** Not sent yet: released and due again after `delayMs`; a wait that is no failure (pacing, 429) does not count as an attempt. */
export const retryOwed = async (db: Db, id: bigint, p: { delayMs: number; error?: string; countAttempt: boolean }): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update slack_outbox
    set not_before = now() + make_interval(secs => ${p.delayMs / 1000}), claimed_until = null,
        attempts = attempts - ${p.countAttempt ? 0 : 1}, last_error = coalesce(${p.error?.slice(0, 1000) ?? null}, last_error)
    where id = ${id} and state = 'pending'`);
};

/** Given up (Slack refuses it for good): kept with the error for the record; the stream moves on. */
export const failOwed = async (db: Db, id: bigint, error: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    update slack_outbox set state = 'failed', done_at = now(), claimed_until = null, last_error = ${error.slice(0, 1000)}
    where id = ${id} and state = 'pending'`);
};

/** Whether the requester was already sent a DM about this run (the give-up fallback is sent once per run). */
export const hasOwedDm = async (db: Db, runId: string): Promise<boolean> =>
  db.exists(sql.type(z.object({ x: z.number() }))`select 1 as x from slack_outbox where run_id = ${runId} and kind = 'dm'`);

/**
 * Depth and age of what is still owed, and how long ago any owed message was last delivered or given up
 * (readiness and metrics: an outbox that stops draining is visible).
 */
export const outboxBacklog = async (
  db: Db,
): Promise<{ pending: number; oldestSeconds: number | null; sinceProgressSeconds: number | null }> => {
  const row = await db.one(sql.type(z.object({ pending: z.number().int(), oldest: z.number().nullable(), since: z.number().nullable() }))`
    select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as oldest,
      (select extract(epoch from now() - max(done_at))::float8 from slack_outbox where done_at is not null) as since
    from slack_outbox where state = 'pending'`);
  return { pending: row.pending, oldestSeconds: row.oldest, sinceProgressSeconds: row.since };
};

export const listOwed = async (db: Db, runId: string): Promise<readonly OwedRow[]> =>
  db.any(sql.type(owedRow)`select ${cols} from slack_outbox where run_id = ${runId} order by id`);
