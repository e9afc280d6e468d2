import { appendAudit } from '../db/queries/audit.ts';
import { markChunkRejected, type ChunkRow } from '../db/queries/chunks.ts';
import { credentialErrorDetail, credentialErrorKind } from '../domain/credentialStatus.ts';
import type { RunContext } from './executorDeps.ts';

/** Per account: how often its credentials failed in this run and when to try again. */
export type CredentialRetryMemory = Map<string, { attempts: number; nextAt: number }>;

const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 5 * 60_000;

/**
 * Before chunks are dispatched, each account's credentials (AssumeRole of its execution role) are obtained. An
 * account whose credentials fail is retried with backoff, its chunks staying planned, as long as the next try
 * comes before the run's deadline; after that they are recorded failed with that reason (not_sent), audited and
 * said in the thread — never silently skipped. Returns the chunks to send now.
 */
export const gateOnCredentials = async (
  ctx: RunContext,
  planned: readonly ChunkRow[],
  memory: CredentialRetryMemory,
  deadlineAt: number | null,
): Promise<ChunkRow[]> => {
  const { deps, run } = ctx;
  const now = Date.now();
  const ready: ChunkRow[] = [];
  const byAccount = Map.groupBy(planned, (c) => c.account_id);
  for (const [accountId, chunks] of byAccount) {
    const account = deps.accounts.get(accountId);
    const retry = memory.get(accountId);
    if (!account) {
      ready.push(...chunks); // dispatchChunk rejects a chunk of an account no longer configured
      continue;
    }
    if (retry && retry.nextAt > now) continue;
    try {
      await deps.ssm.credentials(account, ctx.session);
      if (retry) ctx.log.info({ accountId, attempts: retry.attempts }, 'credentials of the account work again; dispatching');
      memory.delete(accountId);
      ready.push(...chunks);
    } catch (error) {
      const attempts = (retry?.attempts ?? 0) + 1;
      const nextAt = now + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
      const kind = credentialErrorKind(error);
      if (deadlineAt === null || nextAt < deadlineAt) {
        memory.set(accountId, { attempts, nextAt });
        ctx.log.warn(
          { accountId, attempts, errorKind: kind, retryInMs: nextAt - now },
          'credentials of the account failed; its batches wait and are retried',
        );
        continue;
      }
      memory.delete(accountId);
      const reason = `credentials for account ${account.name} (${accountId}) failed (${kind}): ${credentialErrorDetail(error)}`;
      for (const chunk of chunks) await markChunkRejected(deps.pool, chunk.id, reason);
      ctx.log.error(
        { accountId, attempts, errorKind: kind, chunks: chunks.length },
        'credentials of the account kept failing until the run deadline; its batches were not sent',
      );
      await appendAudit(deps.pool, {
        runId: run.id,
        actor: 'executor',
        action: 'dispatch_refused',
        reason,
        correlationId: run.correlation_id,
        data: { accountId, chunks: chunks.length, attempts, errorKind: kind },
      });
      await deps.notifier.runNote(
        { runId: run.id },
        `:closed_lock_with_key: Nothing was sent to account ${account.name} (${accountId}): its credentials kept failing (${kind}) until the run deadline; ` +
          `${chunks.reduce((n, c) => n + c.instance_ids.length, 0)} instance(s) recorded not sent. \`/ops status\` shows the checks.`,
      );
    }
  }
  return ready;
};
