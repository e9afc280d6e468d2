import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendAudit } from '../db/queries/audit.ts';
import { markChunkRejected, markChunkSending, markChunkSent, type ChunkRow } from '../db/queries/chunks.ts';
import { buildCommands } from '../tools/buildCommands.ts';
import { commentFor, type RunContext } from './executorDeps.ts';
import { isDefiniteRejection, isThrottle } from './ssmErrors.ts';

const THROTTLE_RETRIES = 8;

/**
 * Sends one chunk exactly once: the intent ('sending') is committed first, then SendCommand (no SDK
 * retries), then the command id. A throttle means nothing was created, so only then is the call
 * repeated. An ambiguous failure leaves the intent for reconcileChunk, which asks SSM before any resend.
 */
export const dispatchChunk = async (ctx: RunContext, chunk: ChunkRow): Promise<'sent' | 'rejected' | 'ambiguous' | 'skipped'> => {
  const { deps, run, action } = ctx;
  const account = deps.accounts.get(chunk.account_id);
  const log = ctx.log.child({ chunk: chunk.seq, accountId: chunk.account_id, region: chunk.region });
  if (!account) {
    await markChunkRejected(deps.pool, chunk.id, `account ${chunk.account_id} is no longer configured`);
    return 'rejected';
  }
  let commands: string[];
  try {
    commands = buildCommands({ action, params: run.params, context: { runId: run.id, changeNumber: run.change_number, settings: action.toolSettings } });
  } catch (error) {
    await markChunkRejected(deps.pool, chunk.id, `refused to build the command: ${(error as Error).message}`);
    return 'rejected';
  }
  const intent = await markChunkSending(deps.pool, chunk.id);
  if (!intent) return 'skipped';

  const client = deps.ssm.sender(account, chunk.region, ctx.session);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await deps.queues.run(chunk.account_id, chunk.region, () =>
        client.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: chunk.instance_ids,
            Comment: commentFor(run.id, chunk.seq),
            TimeoutSeconds: action.timeouts.deliverySeconds,
            MaxConcurrency: action.rate?.maxConcurrency ?? '50',
            MaxErrors: action.rate?.maxErrors ?? '100%',
            Parameters: { commands, executionTimeout: [String(action.timeouts.executionSeconds)] },
          }),
          { abortSignal: ctx.signal },
        ),
      );
      const commandId = answer.Command?.CommandId;
      if (!commandId) throw new Error('SendCommand answered without a CommandId');
      await deps.pool.transaction(async (tx) => {
        await markChunkSent(tx, chunk.id, commandId);
        await appendAudit(tx, {
          runId: run.id, actor: 'executor', action: 'command_sent', correlationId: run.correlation_id,
          data: { chunk: chunk.seq, commandId, accountId: chunk.account_id, region: chunk.region, instances: chunk.instance_ids.length, scriptSha256: action.scriptSha256 },
        });
      });
      log.info({ commandId, instances: chunk.instance_ids.length }, 'command sent');
      return 'sent';
    } catch (error) {
      if (isThrottle(error) && attempt < THROTTLE_RETRIES && !ctx.signal.aborted) {
        await sleep(Math.min(200 * 2 ** attempt, 10_000) * (0.5 + Math.random()), undefined, { signal: ctx.signal }).catch(() => {});
        continue;
      }
      if (isDefiniteRejection(error)) {
        const reason = `${(error as Error).name}: ${(error as Error).message}`;
        log.warn({ err: error }, 'SSM rejected the chunk; nothing ran');
        await markChunkRejected(deps.pool, chunk.id, reason);
        await appendAudit(deps.pool, { runId: run.id, actor: 'executor', action: 'command_rejected', reason, correlationId: run.correlation_id, data: { chunk: chunk.seq } });
        return 'rejected';
      }
      // 5xx, timeout, dropped connection, throttled to the end: the command may exist. Leave the intent.
      log.warn({ err: error }, 'SendCommand outcome unknown; will reconcile before any resend');
      return 'ambiguous';
    }
  }
};
