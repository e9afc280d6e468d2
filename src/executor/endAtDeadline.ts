import { appendAudit } from '../db/queries/audit.ts';
import { abandonUnsentChunks, completeChunks, listChunkStates } from '../db/queries/chunks.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { cancelCommands } from './cancelCommands.ts';
import type { RunContext } from './executorDeps.ts';
import { finishRun } from './finishRun.ts';
import { pollChunks, type PollMemory } from './pollChunks.ts';
import { reconcileChunks } from './reconcileChunks.ts';

const REASON = 'run deadline reached';

/**
 * The run-level deadline ends stragglers: nothing more is sent, every instance's current state is read
 * once more (so what finished keeps its real result), the commands still out are cancelled, and the
 * instances still running are recorded as timed out. Returns false while an unanswered send is still
 * being reconciled (it might exist and would then be cancelled too).
 */
export const endAtDeadline = async (ctx: RunContext, memory: PollMemory): Promise<boolean> => {
  const { deps, run } = ctx;
  const notSent = await abandonUnsentChunks(deps.pool, run.id, `${REASON} before dispatch`);
  let chunks = await listChunkStates(deps.pool, run.id);
  if (chunks.some((c) => c.status === 'sending')) {
    await reconcileChunks(ctx, chunks, { kind: 'reject', reason: `${REASON} before dispatch` });
    chunks = await listChunkStates(deps.pool, run.id);
    if (chunks.some((c) => c.status === 'sending')) return false;
  }
  const sent = chunks.filter((c) => c.status === 'sent');
  if (sent.length > 0) await pollChunks(ctx, sent, memory, { details: 'all' });
  const stragglers = (await listChunkStates(deps.pool, run.id)).filter((c) => c.status === 'sent');
  const cancelled = await cancelCommands(ctx, stragglers);
  const timedOut = await finishOpenExecutions(deps.pool, run.id, 'timed_out', REASON);
  await completeChunks(
    deps.pool,
    stragglers.map((c) => c.id),
  );
  ctx.log.warn({ timedOut, commandsCancelled: cancelled.length }, 'run deadline reached; stragglers ended');
  await appendAudit(deps.pool, {
    runId: run.id,
    actor: 'executor',
    action: 'deadline_reached',
    reason: REASON,
    correlationId: run.correlation_id,
    data: { timedOut, notSentChunks: notSent, commandsCancelled: cancelled.length },
  });
  await deps.notifier.runNote(
    { runId: run.id },
    `:hourglass: The run deadline was reached: ${timedOut} instance(s) still running were marked timed out; ` +
      `SSM accepted the cancel of ${cancelled.length} of ${stragglers.length} command(s) still out.`,
  );
  await finishRun(ctx);
  return true;
};
