import { CancelCommandCommand } from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { chunkTargets } from '../domain/chunkTargets.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { abandonUnsentChunks, completeChunks, listChunks, planChunks, type ChunkRow } from '../db/queries/chunks.ts';
import { countExecutionsByStatus, finishOpenExecutions, listRunTargets } from '../db/queries/executions.ts';
import { getRun, recordPollRound, setRunDeadline } from '../db/queries/runs.ts';
import { dispatchChunk } from './dispatchChunk.ts';
import type { RunContext } from './executorDeps.ts';
import { finishRun } from './finishRun.ts';
import { pollChunks } from './pollChunks.ts';
import { reconcileChunk } from './reconcileChunk.ts';

const DEADLINE_MARGIN_MS = 5 * 60_000;
const CHANGE_RECHECK_MS = 60_000;

/**
 * Drives one run from whatever state the database says it is in: plans chunks once, dispatches the
 * planned ones, reconciles ambiguous ones, polls the sent ones, and finishes. Every step is a guarded
 * transition, so a replica that takes over after a crash simply continues.
 */
export const driveRun = async (ctx: RunContext): Promise<void> => {
  const { deps, run, action, log } = ctx;
  if (action.scriptSha256 !== run.script_sha256) {
    // The approved plan named an exact script version; never run a different one.
    await abandonUnsentChunks(deps.pool, run.id, 'script changed since approval');
    await finishOpenExecutions(deps.pool, run.id, 'not_sent', 'the script changed since approval; submit the request again');
    await deps.notifier.runNote({ runId: run.id }, ':no_entry: The script changed since this run was approved; nothing was sent. Submit the request again.');
    await finishRun(ctx);
    return;
  }

  let chunks = await listChunks(deps.pool, run.id);
  if (chunks.length === 0) {
    const targets = await listRunTargets(deps.pool, run.id);
    const planned = chunkTargets(targets).map((c) => ({ ...c, id: randomUUID() }));
    const deadline = new Date(Date.now() + (action.timeouts.deliverySeconds + action.timeouts.executionSeconds) * 1000 + DEADLINE_MARGIN_MS);
    await deps.pool.transaction(async (tx) => {
      await planChunks(tx, run.id, planned);
      await setRunDeadline(tx, run.id, deadline);
      await appendAudit(tx, {
        runId: run.id, actor: 'executor', action: 'started', fromStatus: 'approved', toStatus: 'running', correlationId: run.correlation_id,
        data: { chunks: planned.length, owner: deps.owner },
      });
    });
    await deps.notifier.runStarted({ runId: run.id });
    chunks = await listChunks(deps.pool, run.id);
  } else {
    log.info('resuming run');
  }

  let changeCheckedAt = 0;
  let interval = deps.settings.pollIntervalMs;
  let lastProgress = '';
  while (!ctx.signal.aborted) {
    const current = await getRun(deps.pool, run.id);
    if (!current || current.status !== 'running') return;

    if (current.cancel_requested_by) {
      await cancelRun(ctx, chunks, current.cancel_requested_by);
      return;
    }

    const planned = chunks.filter((c) => c.status === 'planned');
    if (planned.length > 0 && Date.now() - changeCheckedAt > CHANGE_RECHECK_MS) {
      // Checked again just before dispatch: a change closed or cancelled mid-run stops further sends.
      const verdict = await deps.changes.verify(run.change_number);
      changeCheckedAt = Date.now();
      if (!verdict.ok) {
        const n = await abandonUnsentChunks(deps.pool, run.id, `change check failed: ${verdict.code}`);
        await appendAudit(deps.pool, { runId: run.id, actor: 'executor', action: 'dispatch_stopped', reason: verdict.message, correlationId: run.correlation_id, data: { chunks: n } });
        await deps.notifier.runNote({ runId: run.id }, `:octagonal_sign: Further dispatch stopped: ${verdict.message}`);
        chunks = await listChunks(deps.pool, run.id);
        continue;
      }
    }
    await inWindows(planned, deps.settings.runWindow, (c) => dispatchChunk(ctx, c));
    await inWindows(chunks.filter((c) => c.status === 'sending'), deps.settings.runWindow, (c) => reconcileChunk(ctx, c));

    chunks = await listChunks(deps.pool, run.id);
    const sent = chunks.filter((c) => c.status === 'sent');
    if (sent.length > 0) {
      const progress = await pollChunks(ctx, sent);
      const counts = await countExecutionsByStatus(deps.pool, run.id);
      const key = JSON.stringify([counts, progress]);
      if (key !== lastProgress) {
        lastProgress = key;
        await deps.notifier.runProgress({ runId: run.id }, counts, run.target_count);
      }
      chunks = await listChunks(deps.pool, run.id);
    }
    if (chunks.every((c) => c.status === 'complete' || c.status === 'rejected')) {
      await finishRun(ctx);
      return;
    }
    if (current.deadline_at !== null && Date.now() > current.deadline_at) {
      await endAtDeadline(ctx, chunks);
      return;
    }
    // Quick at first, backing off to the cap; an ambiguous dispatch is retried on the next round.
    await recordPollRound(deps.pool, run.id, new Date(Date.now() + interval));
    await sleep(interval, undefined, { signal: ctx.signal }).catch(() => {});
    interval = Math.min(Math.round(interval * 1.5), deps.settings.pollMaxIntervalMs);
  }
};

const inWindows = async <T>(items: readonly ChunkRow[], window: number, work: (c: ChunkRow) => Promise<T>): Promise<void> => {
  for (let i = 0; i < items.length; i += window) await Promise.all(items.slice(i, i + window).map(work));
};

const cancelCommands = async (ctx: RunContext, chunks: readonly ChunkRow[]): Promise<void> => {
  await Promise.all(
    chunks.filter((c) => c.status === 'sent' && c.command_id).map(async (c) => {
      const account = ctx.deps.accounts.get(c.account_id);
      if (!account) return;
      try {
        await ctx.deps.queues.run(c.account_id, c.region, () =>
          ctx.deps.ssm.reader(account, c.region, ctx.session).send(new CancelCommandCommand({ CommandId: c.command_id ?? undefined })),
        );
      } catch (error) {
        ctx.log.warn({ err: error, commandId: c.command_id }, 'CancelCommand failed');
      }
    }),
  );
};

/** Cancel: no further sends, CancelCommand for what was sent, then collect what SSM recorded. */
const cancelRun = async (ctx: RunContext, chunks: readonly ChunkRow[], by: string): Promise<void> => {
  const { deps, run } = ctx;
  await abandonUnsentChunks(deps.pool, run.id, `cancelled by ${by}`);
  await cancelCommands(ctx, chunks);
  const sent = (await listChunks(deps.pool, run.id)).filter((c) => c.status === 'sent');
  // Give SSM a moment to record the cancellations, then read the final invocation states.
  await sleep(Math.min(deps.settings.pollIntervalMs, 5_000), undefined, { signal: ctx.signal }).catch(() => {});
  if (sent.length > 0) await pollChunks(ctx, sent).catch((error: unknown) => ctx.log.warn({ err: error }, 'poll after cancel failed'));
  await finishOpenExecutions(deps.pool, run.id, 'cancelled', `cancelled by ${by}`);
  await completeChunks(deps.pool, sent.map((c) => c.id));
  await appendAudit(deps.pool, { runId: run.id, actor: by, action: 'cancelled', fromStatus: 'running', toStatus: 'cancelled', correlationId: run.correlation_id });
  await finishRun(ctx, 'cancelled');
};

/** The run-level deadline ends stragglers: cancel what is still out, record them as timed out. */
const endAtDeadline = async (ctx: RunContext, chunks: readonly ChunkRow[]): Promise<void> => {
  const { deps, run } = ctx;
  ctx.log.warn('run deadline reached; ending stragglers');
  await abandonUnsentChunks(deps.pool, run.id, 'run deadline reached before dispatch');
  await cancelCommands(ctx, chunks);
  await finishOpenExecutions(deps.pool, run.id, 'timed_out', 'run deadline reached');
  await completeChunks(deps.pool, chunks.filter((c) => c.status === 'sent').map((c) => c.id));
  await deps.notifier.runNote({ runId: run.id }, ':hourglass: The run deadline was reached; instances still running were cancelled and marked timed out.');
  await finishRun(ctx);
};
