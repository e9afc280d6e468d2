import { SendCommandCommand, type SendCommandCommandInput, type SendCommandCommandOutput } from '@aws-sdk/client-ssm';
import { appendAudit } from '../db/queries/audit.ts';
import { markChunkRejected, markChunkSending, markChunkSent, revertChunkToPlanned, type ChunkRow } from '../db/queries/chunks.ts';
import { commentFor, jobFor, type RunContext } from './executorDeps.ts';
import type { SendBase } from './prepareSend.ts';
import { isDefiniteRejection, isThrottle } from './ssmErrors.ts';

// A chunk SSM keeps throttling goes back to 'planned' and is tried again next round.
const THROTTLE_ATTEMPTS = 6;

export type DispatchOutcome = 'sent' | 'rejected' | 'ambiguous' | 'skipped' | 'throttled';

type Attempt =
  | { readonly kind: 'skipped' }
  | { readonly kind: 'answer'; readonly answer: SendCommandCommandOutput }
  | { readonly kind: 'error'; readonly error: unknown };

/**
 * Sends one chunk at most once. Inside the queue slot, immediately before the call, the intent
 * ('sending', fenced by this replica's lease) is committed; then SendCommand (no SDK retries: it has
 * no idempotency token); then the command id. A throttle means SSM created nothing, so the intent
 * goes back to 'planned', the account+region pauses and the send is tried again. Any other failure
 * but a definite 4xx rejection is ambiguous: the intent stays for reconcileChunks, which asks SSM
 * before anything is sent again.
 */
export const dispatchChunk = async (ctx: RunContext, chunk: ChunkRow, base: SendBase): Promise<DispatchOutcome> => {
  const { deps, run, action } = ctx;
  const account = deps.accounts.get(chunk.account_id);
  const log = ctx.log.child({ chunk: chunk.seq, accountId: chunk.account_id, region: chunk.region });
  if (!account) {
    await markChunkRejected(deps.pool, chunk.id, `account ${chunk.account_id} is no longer configured`);
    return 'rejected';
  }

  const client = deps.ssm.sender(account, chunk.region, ctx.session);
  for (let attempt = 1; ; attempt += 1) {
    const result = await deps.queues.run(
      jobFor(ctx, chunk.account_id, chunk.region),
      async (): Promise<Attempt> => {
        // Shutting down: a send not yet started stays planned for the replica that takes the run over.
        if (ctx.stopping?.aborted) return { kind: 'skipped' };
        if (!(await markChunkSending(deps.pool, chunk.id, deps.owner))) return { kind: 'skipped' };
        try {
          const input: SendCommandCommandInput = { ...base, InstanceIds: chunk.instance_ids, Comment: commentFor(run.id, chunk.seq) };
          return { kind: 'answer', answer: await client.send(new SendCommandCommand(input), { abortSignal: ctx.signal }) };
        } catch (error) {
          return { kind: 'error', error };
        }
      },
      { retryThrottles: false },
    );
    if (result.kind === 'skipped') return 'skipped';

    if (result.kind === 'answer') {
      const commandId = result.answer.Command?.CommandId;
      if (!commandId) {
        log.warn('SendCommand answered without a CommandId; will reconcile');
        return 'ambiguous';
      }
      const recorded = await deps.pool.transaction(async (tx) => {
        if (!(await markChunkSent(tx, chunk.id, commandId))) return false;
        await appendAudit(tx, {
          runId: run.id,
          actor: 'executor',
          action: 'command_sent',
          correlationId: run.correlation_id,
          data: {
            chunk: chunk.seq,
            commandId,
            accountId: chunk.account_id,
            region: chunk.region,
            instances: chunk.instance_ids.length,
            scriptSha256: action.scriptSha256,
          },
        });
        return true;
      });
      if (recorded) log.info({ commandId, instances: chunk.instance_ids.length }, 'command sent');
      else log.warn({ commandId }, 'command sent but the chunk was moved meanwhile (another replica reconciled it)');
      return 'sent';
    }

    const { error } = result;
    if (isThrottle(error)) {
      // Nothing was created: the intent is withdrawn so the database says exactly that.
      await revertChunkToPlanned(deps.pool, chunk.id);
      if (attempt >= THROTTLE_ATTEMPTS || ctx.signal.aborted) {
        log.warn({ attempts: attempt }, 'SendCommand still throttled; the chunk stays planned for the next round');
        return 'throttled';
      }
      deps.queues.throttled(chunk.account_id, chunk.region);
      continue;
    }
    if (isDefiniteRejection(error)) {
      const reason = `${(error as Error).name}: ${(error as Error).message}`;
      log.warn({ err: error }, 'SSM rejected the chunk; nothing ran');
      await markChunkRejected(deps.pool, chunk.id, reason);
      await appendAudit(deps.pool, {
        runId: run.id,
        actor: 'executor',
        action: 'command_rejected',
        reason,
        correlationId: run.correlation_id,
        data: { chunk: chunk.seq },
      });
      return 'rejected';
    }
    // 5xx, timeout, dropped connection, abort mid-call: the command may exist. Leave the intent.
    log.warn({ err: error }, 'SendCommand outcome unknown; will reconcile before any resend');
    return 'ambiguous';
  }
};
