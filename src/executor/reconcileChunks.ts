import { ListCommandsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { appendAudit } from '../db/queries/audit.ts';
import { markChunkRejected, markChunkSent, revertChunkToPlanned, type ChunkState } from '../db/queries/chunks.ts';
import { commentFor, jobFor, type RunContext } from './executorDeps.ts';
import { isAbort } from './ssmErrors.ts';
import { ssmTimestamp } from './ssmTimestamp.ts';

// Commands are looked for from this long before the oldest intent (clock skew between us and SSM).
const LOOKBACK_MS = 5 * 60_000;

/**
 * What to do with an intent whose command provably never existed: send it again ('replan'), or, when
 * the run is stopping, close it as not sent ('reject' with the reason).
 */
export type AbsentPolicy = { readonly kind: 'replan' } | { readonly kind: 'reject'; readonly reason: string };

/**
 * Chunks left in 'sending' (a crash between intent and answer, an ambiguous failure, another
 * replica's send) are looked up in SSM by their unique Comment, one paged ListCommands per
 * account+region for all of them. Found: the command id is recorded, nothing is re-sent. Not found
 * once the intent is older than the grace period (SSM lists a new command within seconds): it never
 * ran, and `onAbsent` decides. Younger intents wait for the next round.
 */
export const reconcileChunks = async (ctx: RunContext, chunks: readonly ChunkState[], onAbsent: AbsentPolicy): Promise<void> => {
  await Promise.all(
    [
      ...Map.groupBy(
        chunks.filter((c) => c.status === 'sending'),
        (c) => `${c.account_id}|${c.region}`,
      ).values(),
    ].map(async (group) => {
      try {
        await reconcileScope(ctx, group, onAbsent);
      } catch (error) {
        if (ctx.signal.aborted || isAbort(error)) throw error;
        ctx.log.warn(
          { err: error, accountId: group[0]?.account_id, region: group[0]?.region },
          'reconciliation failed for this account+region; retrying next round',
        );
      }
    }),
  );
};

const reconcileScope = async (ctx: RunContext, group: readonly ChunkState[], onAbsent: AbsentPolicy): Promise<void> => {
  const { deps, run } = ctx;
  const first = group[0];
  const account = first ? deps.accounts.get(first.account_id) : undefined;
  if (!first || !account) return;
  const byComment = new Map(group.map((c) => [commentFor(run.id, c.seq), c]));
  const found = await findByComment(
    ctx,
    deps.ssm.reader(account, first.region, ctx.session),
    first,
    byComment,
    Math.min(...group.map((c) => c.intent_at ?? Date.now())),
  );

  for (const [comment, chunk] of byComment) {
    const commandIds = found.get(comment);
    const commandId = commandIds?.[0];
    if (commandId) {
      if ((commandIds?.length ?? 0) > 1)
        ctx.log.error({ chunk: chunk.seq, commandIds }, 'more than one command carries this chunk comment');
      const recorded = await deps.pool.transaction(async (tx) => {
        if (!(await markChunkSent(tx, chunk.id, commandId))) return false;
        await appendAudit(tx, {
          runId: run.id,
          actor: 'executor',
          action: 'command_reconciled',
          correlationId: run.correlation_id,
          data: { chunk: chunk.seq, commandId },
        });
        return true;
      });
      if (recorded)
        ctx.log.info({ chunk: chunk.seq, commandId }, 'reconciled an unanswered dispatch: the command exists; not sending again');
      continue;
    }
    if (Date.now() - (chunk.intent_at ?? Date.now()) < deps.settings.reconcileGraceMs) continue;
    if (onAbsent.kind === 'replan') {
      if (await revertChunkToPlanned(deps.pool, chunk.id)) {
        await appendAudit(deps.pool, {
          runId: run.id,
          actor: 'executor',
          action: 'command_not_found',
          reason: 'no command carries this chunk comment; it will be sent',
          correlationId: run.correlation_id,
          data: { chunk: chunk.seq },
        });
        ctx.log.info({ chunk: chunk.seq }, 'reconciled: the command was never created; it will be sent');
      }
    } else {
      await markChunkRejected(deps.pool, chunk.id, onAbsent.reason);
      await appendAudit(deps.pool, {
        runId: run.id,
        actor: 'executor',
        action: 'command_not_found',
        reason: onAbsent.reason,
        correlationId: run.correlation_id,
        data: { chunk: chunk.seq },
      });
    }
  }
};

/** Command ids per wanted Comment, newest first, paging back until all were found or the listing ends. */
const findByComment = async (
  ctx: RunContext,
  client: SSMClient,
  first: ChunkState,
  wanted: ReadonlyMap<string, ChunkState>,
  earliestIntent: number,
): Promise<Map<string, string[]>> => {
  const found = new Map<string, string[]>();
  const job = jobFor(ctx, first.account_id, first.region);
  let nextToken: string | undefined;
  do {
    const page = await ctx.deps.queues.run(job, () =>
      client.send(
        new ListCommandsCommand({
          Filters: [{ key: 'InvokedAfter', value: ssmTimestamp(earliestIntent - LOOKBACK_MS) }],
          MaxResults: 50,
          NextToken: nextToken,
        }),
        { abortSignal: ctx.signal },
      ),
    );
    for (const c of page.Commands ?? []) {
      if (c.Comment && c.CommandId && wanted.has(c.Comment)) found.set(c.Comment, [...(found.get(c.Comment) ?? []), c.CommandId]);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
};
