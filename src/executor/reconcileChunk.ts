import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { appendAudit } from '../db/queries/audit.ts';
import { markChunkSent, revertChunkToPlanned, type ChunkRow } from '../db/queries/chunks.ts';
import { commentFor, type RunContext } from './executorDeps.ts';

/**
 * A chunk left in 'sending' (crash between intent and answer, or an ambiguous failure) is looked up
 * in SSM by its Comment among commands invoked since the intent. Found: its command id is recorded.
 * Not found once the intent is older than the grace period: it never ran, so it may be sent again.
 */
export const reconcileChunk = async (ctx: RunContext, chunk: ChunkRow): Promise<'found' | 'absent' | 'wait'> => {
  const { deps, run } = ctx;
  const account = deps.accounts.get(chunk.account_id);
  if (!account) return 'wait';
  const intentAt = chunk.intent_at ?? Date.now();
  const comment = commentFor(run.id, chunk.seq);
  const client = deps.ssm.reader(account, chunk.region, ctx.session);
  let nextToken: string | undefined;
  do {
    const page = await deps.queues.run(chunk.account_id, chunk.region, () =>
      client.send(
        new ListCommandsCommand({
          Filters: [{ key: 'InvokedAfter', value: new Date(intentAt - 5 * 60_000).toISOString() }],
          MaxResults: 50,
          NextToken: nextToken,
        }),
        { abortSignal: ctx.signal },
      ),
    );
    const match = (page.Commands ?? []).find((c) => c.Comment === comment && c.CommandId);
    if (match?.CommandId) {
      const commandId = match.CommandId;
      await deps.pool.transaction(async (tx) => {
        await markChunkSent(tx, chunk.id, commandId);
        await appendAudit(tx, { runId: run.id, actor: 'executor', action: 'command_reconciled', correlationId: run.correlation_id, data: { chunk: chunk.seq, commandId } });
      });
      ctx.log.info({ chunk: chunk.seq, commandId }, 'reconciled an ambiguous dispatch: the command exists');
      return 'found';
    }
    nextToken = page.NextToken;
  } while (nextToken);
  if (Date.now() - intentAt < deps.settings.reconcileGraceMs) return 'wait';
  if (await revertChunkToPlanned(deps.pool, chunk.id)) {
    await appendAudit(deps.pool, { runId: run.id, actor: 'executor', action: 'command_not_found', reason: 'no command with this chunk comment; it will be sent', correlationId: run.correlation_id, data: { chunk: chunk.seq } });
    ctx.log.info({ chunk: chunk.seq }, 'reconciled: the command was never created');
  }
  return 'absent';
};
