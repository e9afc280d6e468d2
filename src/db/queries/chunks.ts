import { sql } from 'slonik';
import { z } from 'zod';
import type { Chunk } from '../../domain/chunkTargets.ts';
import type { Db } from './db.ts';
import { partitions } from '../../domain/partition.ts';

export const chunkRow = z.object({
  id: z.string(),
  run_id: z.string(),
  seq: z.number().int(),
  partition: z.enum(partitions),
  account_id: z.string(),
  region: z.string(),
  instance_ids: z.array(z.string()),
  status: z.enum(['planned', 'sending', 'sent', 'rejected', 'complete']),
  command_id: z.string().nullable(),
  intent_at: z.number().nullable(),
  sent_at: z.number().nullable(),
  wave: z.number().int().nullable(),
});
export type ChunkRow = z.infer<typeof chunkRow>;

const cols = sql.fragment`id, run_id, seq, partition, account_id, region, instance_ids, status, command_id, intent_at, sent_at, wave`;

/**
 * Plans a run's chunks once (idempotent on (run_id, seq)) and links each execution to its chunk, in its
 * own transaction (a savepoint inside the caller's) so a crash never leaves half a plan.
 */
export const planChunks = async (db: Db, runId: string, chunks: readonly (Chunk & { id: string })[]): Promise<void> =>
  db.transaction(async (tx) => {
    const inserted = await tx.anyFirst(sql.type(z.object({ id: z.string() }))`
      insert into dispatch_chunks (id, run_id, seq, partition, account_id, region, instance_ids, wave)
      select c.id, ${runId}::uuid, c.seq, c.partition, c.account_id, c.region, string_to_array(c.ids, ','), c.wave
      from ${sql.unnest(
        chunks.map((c) => [c.id, c.seq, c.partition, c.accountId, c.region, c.instanceIds.join(','), c.wave ?? null]),
        ['uuid', 'int4', 'text', 'text', 'text', 'text', 'int4'],
      )} as c(id, seq, partition, account_id, region, ids, wave)
      on conflict (run_id, seq) do nothing
      returning id`);
    if (inserted.length === 0) return;
    // Joined on (instance id, chunk id) pairs passed in: the planner knows their number and hashes them
    // (5,000 instances: ~80 ms). Joining on `= any(c.instance_ids)` compared every instance with every chunk.
    const pairs = chunks.flatMap((c) => c.instanceIds.map((instanceId) => [instanceId, c.id] as const));
    await tx.query(sql.type(z.object({}))`
      update executions e set chunk_id = u.chunk_id
      from unnest(${sql.array(
        pairs.map((p) => p[0]),
        'text',
      )}, ${sql.array(
        pairs.map((p) => p[1]),
        'uuid',
      )}) as u(instance_id, chunk_id)
      where e.run_id = ${runId} and e.instance_id = u.instance_id and e.chunk_id is null`);
  });

export const chunkState = chunkRow.omit({ instance_ids: true }).extend({ instance_count: z.number().int() });
/** A chunk without its instance ids: what a poll round needs (200 chunks × 50 ids are not read every round). */
export type ChunkState = z.infer<typeof chunkState>;

export const listChunkStates = async (db: Db, runId: string): Promise<readonly ChunkState[]> =>
  db.any(sql.type(chunkState)`
    select id, run_id, seq, partition, account_id, region, cardinality(instance_ids) as instance_count, status, command_id, intent_at, sent_at, wave
    from dispatch_chunks where run_id = ${runId} order by seq`);

/** The chunks still to be sent, with their instance ids. */
export const listPlannedChunks = async (db: Db, runId: string): Promise<readonly ChunkRow[]> =>
  db.any(sql.type(chunkRow)`select ${cols} from dispatch_chunks where run_id = ${runId} and status = 'planned' order by seq`);

/**
 * The dispatch intent, committed before SendCommand is called. Fenced by the lease: a replica that
 * lost the run (paused, partitioned) can no longer start a send, whatever it still believes.
 */
export const markChunkSending = async (db: Db, id: string, owner: string): Promise<ChunkRow | null> =>
  db.maybeOne(sql.type(chunkRow)`
    update dispatch_chunks c set status = 'sending', intent_at = now()
    where c.id = ${id} and c.status = 'planned'
      and exists (select 1 from runs r where r.id = c.run_id and r.status = 'running' and r.lease_owner = ${owner})
    returning ${sql.fragment`c.id, c.run_id, c.seq, c.partition, c.account_id, c.region, c.instance_ids, c.status, c.command_id, c.intent_at, c.sent_at, c.wave`}`);

/** Records the command id (guarded on 'sending') and marks the chunk's executions sent (one statement). */
export const markChunkSent = async (db: Db, id: string, commandId: string): Promise<boolean> =>
  db.oneFirst(sql.type(z.object({ sent: z.boolean() }))`
    with chunk as (
      update dispatch_chunks set status = 'sent', command_id = ${commandId}, sent_at = now()
      where id = ${id} and status = 'sending' returning id),
    sent as (
      update executions set status = 'sent', command_id = ${commandId}, updated_at = now()
      where chunk_id in (select id from chunk) and status = 'pending')
    select exists (select 1 from chunk) as sent`);

/** SSM refused the chunk outright (nothing ran): its executions end as not_sent with the reason (one statement). */
export const markChunkRejected = async (db: Db, id: string, error: string): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    with chunk as (
      update dispatch_chunks set status = 'rejected', error = ${error}, completed_at = now()
      where id = ${id} and status in ('planned', 'sending') returning id)
    update executions set status = 'not_sent', status_details = ${error.slice(0, 500)}, finished_at = now(), updated_at = now()
    where chunk_id in (select id from chunk) and status = 'pending'`);
};

/** Reconciliation proved the command was never created (or SSM throttled the send): the chunk may be sent again. */
export const revertChunkToPlanned = async (db: Db, id: string): Promise<boolean> =>
  (await db.maybeOne(sql.type(z.object({ id: z.string() }))`
    update dispatch_chunks set status = 'planned', intent_at = null
    where id = ${id} and status = 'sending' and command_id is null returning id`)) !== null;

export const completeChunks = async (db: Db, ids: readonly string[]): Promise<void> => {
  if (ids.length === 0) return;
  await db.query(sql.type(z.object({}))`
    update dispatch_chunks set status = 'complete', completed_at = now()
    where id = any(${sql.array([...ids], 'uuid')}) and status = 'sent'`);
};

/** Chunks not yet sent end without sending (run cancelled, change closed, deadline); returns how many (one statement). */
export const abandonUnsentChunks = async (db: Db, runId: string, reason: string): Promise<number> =>
  db.oneFirst(sql.type(z.object({ n: z.number().int() }))`
    with chunks as (
      update dispatch_chunks set status = 'rejected', error = ${reason}, completed_at = now()
      where run_id = ${runId} and status = 'planned' returning id),
    not_sent as (
      update executions set status = 'not_sent', status_details = ${reason}, finished_at = now(), updated_at = now()
      where chunk_id in (select id from chunks) and status = 'pending')
    select count(*)::int as n from chunks`);

const waveProgress = z.object({
  wave: z.number().int(),
  planned: z.number().int(),
  open: z.number().int(),
  ended: z.number().int(),
  ended_at: z.number().nullable(),
});

/** Per rollout wave: chunks not sent, in flight and ended, and when the last one ended (one statement). */
export const listWaveProgress = async (
  db: Db,
  runId: string,
): Promise<readonly { wave: number; planned: number; open: number; ended: number; endedAt: number | null }[]> => {
  const rows = await db.any(sql.type(waveProgress)`
    select coalesce(wave, 0) as wave,
           count(*) filter (where status = 'planned')::int as planned,
           count(*) filter (where status in ('sending', 'sent'))::int as open,
           count(*) filter (where status in ('complete', 'rejected'))::int as ended,
           max(completed_at) as ended_at
    from dispatch_chunks where run_id = ${runId} group by coalesce(wave, 0) order by 1`);
  return rows.map((r) => ({ wave: r.wave, planned: r.planned, open: r.open, ended: r.ended, endedAt: r.ended_at }));
};
