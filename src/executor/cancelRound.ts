import { abandonUnsentChunks, completeChunks, listChunkStates } from '../db/queries/chunks.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { cancelCommands } from './cancelCommands.ts';
import type { RunContext } from './executorDeps.ts';
import { finishRun } from './finishRun.ts';
import { pollChunks, type PollMemory } from './pollChunks.ts';
import { reconcileChunks } from './reconcileChunks.ts';

const DEFAULT_CANCEL_WAIT_MS = 2 * 60_000;

export type CancelState = { readonly since: number; readonly cancelled: Set<string>; notSent: number };

/**
 * One round of stopping a run someone cancelled (runs.cancel_requested_by). Nothing more is sent;
 * unanswered sends are reconciled (found: cancelled like the rest; never created: not sent);
 * CancelCommand goes out once per command; then the run is polled like any other until SSM reports
 * every command finished, so each instance keeps what really happened (success before the cancel,
 * Cancelled after). Past cancelWaitMs every instance is read once more and only what SSM reported is
 * recorded; what it never confirmed is `cancel_unconfirmed` (it may have run to completion), never
 * `cancelled`. Returns true once the run is closed.
 */
export const cancelRound = async (ctx: RunContext, state: { cancel?: CancelState; memory: PollMemory }, by: string): Promise<boolean> => {
  const { deps, run } = ctx;
  const reason = `cancelled by ${by}`;
  const cancel = (state.cancel ??= { since: Date.now(), cancelled: new Set(), notSent: 0 });

  cancel.notSent += await abandonUnsentChunks(deps.pool, run.id, reason);
  let chunks = await listChunkStates(deps.pool, run.id);
  if (chunks.some((c) => c.status === 'sending')) {
    await reconcileChunks(ctx, chunks, { kind: 'reject', reason });
    chunks = await listChunkStates(deps.pool, run.id);
  }
  const sent = chunks.filter((c) => c.status === 'sent');
  for (const id of await cancelCommands(
    ctx,
    sent.filter((c) => c.command_id && !cancel.cancelled.has(c.command_id)),
  ))
    cancel.cancelled.add(id);
  if (sent.length > 0) await pollChunks(ctx, sent, state.memory, { details: 'due' });

  chunks = await listChunkStates(deps.pool, run.id);
  // An intent not yet known to exist or not keeps the run open until reconciliation decides (grace period).
  if (chunks.some((c) => c.status === 'sending')) return false;
  const open = chunks.filter((c) => c.status === 'sent');
  if (open.length > 0 && Date.now() - cancel.since < (deps.settings.cancelWaitMs ?? DEFAULT_CANCEL_WAIT_MS)) return false;

  // Giving up waiting: read every instance once more (also of commands still running), so what SSM
  // reported (e.g. success before the cancel) is kept; only the rest is left unconfirmed.
  if (open.length > 0) await pollChunks(ctx, open, state.memory, { details: 'all' });
  const unconfirmed = await finishOpenExecutions(
    deps.pool,
    run.id,
    'cancel_unconfirmed',
    `${reason}; SSM never confirmed how this instance ended (it may have run to completion)`,
  );
  await completeChunks(
    deps.pool,
    open.map((c) => c.id),
  );
  if (unconfirmed > 0) ctx.log.warn({ unconfirmed }, 'SSM did not confirm every cancellation in time; recorded as cancel_unconfirmed');
  await deps.notifier.runNote(
    { runId: run.id },
    `:octagonal_sign: Cancelled by <@${by}>: ${cancel.cancelled.size} command(s) cancelled in SSM` +
      (cancel.notSent > 0 ? `; ${cancel.notSent} batch(es) were never sent` : '') +
      (unconfirmed > 0
        ? `. :grey_question: ${unconfirmed} instance(s) unconfirmed: SSM never reported how they ended; they may have run to completion.`
        : '.'),
  );
  await finishRun(ctx, { by, data: { commandsCancelled: cancel.cancelled.size, chunksNotSent: cancel.notSent, unconfirmed } });
  return true;
};
