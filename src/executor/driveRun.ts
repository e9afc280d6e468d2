import { randomUUID } from 'node:crypto';
import { chunkWaves } from '../domain/chunkTargets.ts';
import { hasRollout } from '../domain/rolloutPolicy.ts';
import { escapeText } from '../domain/escapeText.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { abandonUnsentChunks, listChunkStates, listPlannedChunks, markChunkRejected, planChunks } from '../db/queries/chunks.ts';
import { countExecutionsByStatus, finishOpenExecutions, listRunTargets } from '../db/queries/executions.ts';
import { oweRunStarted } from '../db/queries/outbox.ts';
import { getRun, recordPollRound, setRunDeadline } from '../db/queries/runs.ts';
import { isFrozen } from '../db/queries/settings.ts';
import { cancelRound, type CancelState } from './cancelRound.ts';
import { dispatchChunk } from './dispatchChunk.ts';
import { endAtDeadline } from './endAtDeadline.ts';
import { gateOnCredentials, type CredentialRetryMemory } from './gateOnCredentials.ts';
import type { RunContext } from './executorDeps.ts';
import { finishRun } from './finishRun.ts';
import { pollChunks, type PollMemory } from './pollChunks.ts';
import { prepareSend, type SendBase } from './prepareSend.ts';
import { reconcileChunks } from './reconcileChunks.ts';
import { rolloutGate, type Gate } from './rolloutGate.ts';
import { verifyPlan } from './verifyPlan.ts';

const DEFAULT_DEADLINE_MARGIN_MS = 5 * 60_000;
const CHANGE_RECHECK_MS = 60_000;
const SCRIPT_CHANGED = 'the script changed since approval';

/**
 * Drives one run from whatever state the database says it is in: plans chunks once, then loops in
 * rounds: dispatch what is planned, reconcile unanswered sends, poll what was sent, report progress,
 * finish. Every step is a guarded transition, so a replica that takes over after a crash continues
 * where the database says. The loop stops as soon as this replica no longer holds the run's lease.
 */
export const driveRun = async (ctx: RunContext): Promise<void> => {
  const { deps, run, action, log } = ctx;
  const existing = await listChunkStates(deps.pool, run.id);
  // The approved plan named an exact script version; a different one is never sent. What was already
  // sent (before a deploy changed the script) runs the approved version and is still followed to its end.
  const scriptChanged = action.scriptSha256 !== run.script_sha256;
  if (scriptChanged) {
    const unsent = await abandonUnsentChunks(deps.pool, run.id, SCRIPT_CHANGED);
    const nothingSent = existing.every((c) => c.status === 'planned' || c.status === 'rejected');
    if (nothingSent) await finishOpenExecutions(deps.pool, run.id, 'not_sent', `${SCRIPT_CHANGED}; submit the request again`);
    await deps.notifier.runNote(
      { runId: run.id },
      nothingSent
        ? ':no_entry: The script changed since this run was approved; nothing was sent. Submit the request again.'
        : `:no_entry: The script changed since this run was approved: ${unsent} batch(es) not yet sent will not be; what was sent is followed to its end.`,
    );
    if (nothingSent) {
      await finishRun(ctx);
      return;
    }
  }

  if (existing.length === 0) {
    const current = await getRun(deps.pool, run.id);
    if (current?.cancel_requested_by) {
      await cancelBeforeStart(ctx, current.cancel_requested_by);
      return;
    }
    await plan(ctx);
  } else {
    log.info({ chunks: existing.length }, 'resuming run');
    deps.metrics?.leaseTakeover();
  }

  const state: { memory: PollMemory; cancel?: CancelState; credentialRetry: CredentialRetryMemory } = {
    memory: new Map(),
    credentialRetry: new Map(),
  };
  let changeCheckedAt = 0;
  let frozenNoted = false;
  let interval = deps.settings.pollIntervalMs;
  let nextInterval: number | undefined;
  let lastProgress = '';
  let send: ReturnType<typeof prepareSend> | undefined;
  while (!ctx.signal.aborted && !ctx.stopping?.aborted) {
    const roundStartedAt = Date.now();
    const current = await getRun(deps.pool, run.id);
    if (!current || current.status !== 'running' || current.lease_owner !== deps.owner) return;

    if (current.cancel_requested_by) {
      if (await cancelRound(ctx, state, current.cancel_requested_by)) return;
      interval = deps.settings.pollIntervalMs;
    } else {
      let chunks = await listChunkStates(deps.pool, run.id);
      if (scriptChanged && chunks.some((c) => c.status === 'planned')) await abandonUnsentChunks(deps.pool, run.id, SCRIPT_CHANGED);
      // A rollout releases one wave at a time and halts the run when its canary or budget says so.
      const gate: Gate | null =
        hasRollout(current.rollout) && chunks.some((c) => c.status === 'planned') ? await rolloutGate(ctx, current, current.rollout) : null;
      if (gate?.kind === 'halted') return;
      if (gate?.kind === 'hold' && gate.until !== undefined) {
        nextInterval = Math.max(Math.min(gate.until - Date.now(), interval), deps.settings.pollIntervalMs);
      }
      // A change freeze holds dispatch: nothing new is sent until it is lifted (or the run deadline ends
      // the run); what was already sent is still reconciled and polled.
      const frozen = chunks.some((c) => c.status === 'planned') && (await isFrozen(deps.pool));
      if (frozen && !frozenNoted) {
        await appendAudit(deps.pool, {
          runId: run.id,
          actor: 'executor',
          action: 'dispatch_held',
          reason: 'change freeze',
          correlationId: run.correlation_id,
        });
        await deps.notifier.runNote(
          { runId: run.id },
          ':snowflake: A change freeze is on: nothing more is sent until an admin lifts it (`/ops freeze off`).',
        );
      }
      frozenNoted = frozen;
      const planned =
        !scriptChanged && !frozen && gate?.kind !== 'hold' && chunks.some((c) => c.status === 'planned')
          ? (await listPlannedChunks(deps.pool, run.id)).filter((c) => gate?.kind !== 'wave' || c.wave === gate.wave)
          : [];
      // Fail closed when what would be sent is no longer exactly what was approved (the digest is recomputed).
      const tampered = planned.length > 0 ? await verifyPlan(ctx, current, planned) : null;
      if (tampered) {
        const n = await abandonUnsentChunks(deps.pool, run.id, `dispatch refused: ${tampered}`);
        log.error({ reason: tampered, chunks: n }, 'dispatch refused: the plan does not match the approval');
        await appendAudit(deps.pool, {
          runId: run.id,
          actor: 'executor',
          action: 'dispatch_refused',
          reason: tampered,
          correlationId: run.correlation_id,
          data: { chunks: n },
        });
        await deps.notifier.runNote(
          { runId: run.id },
          `:no_entry: Dispatch refused: ${tampered}. Nothing more is sent; submit the request again.`,
        );
        continue;
      }
      if (planned.length > 0 && Date.now() - changeCheckedAt > CHANGE_RECHECK_MS) {
        // Checked again just before dispatch: a change closed or cancelled mid-run stops further sends.
        const verdict = await deps.changes.verify(run.change_number);
        changeCheckedAt = Date.now();
        if (!verdict.ok) {
          const n = await abandonUnsentChunks(deps.pool, run.id, `change check failed: ${verdict.code}`);
          await appendAudit(deps.pool, {
            runId: run.id,
            actor: 'executor',
            action: 'dispatch_stopped',
            reason: verdict.message,
            correlationId: run.correlation_id,
            data: { chunks: n },
          });
          await deps.notifier.runNote({ runId: run.id }, `:octagonal_sign: Further dispatch stopped: ${escapeText(verdict.message)}`);
          continue;
        }
      }
      // Every planned chunk is handed to the shared queue at once: it bounds the calls and is fair
      // across runs, so a big run neither floods SSM nor starves a small one.
      const dispatchable = planned.length > 0 ? await gateOnCredentials(ctx, planned, state.credentialRetry, current.deadline_at) : [];
      if (dispatchable.length > 0) {
        send ??= prepareSend(ctx);
        if (send.ok) {
          const base: SendBase = send.base;
          await settleAll(dispatchable.map((c) => dispatchChunk(ctx, c, base)));
        } else {
          for (const c of dispatchable) await markChunkRejected(deps.pool, c.id, send.reason);
        }
      }
      await reconcileChunks(ctx, chunks, scriptChanged ? { kind: 'reject', reason: SCRIPT_CHANGED } : { kind: 'replan' });

      chunks = await listChunkStates(deps.pool, run.id);
      const sent = chunks.filter((c) => c.status === 'sent');
      if (sent.length > 0) {
        const progress = await pollChunks(ctx, sent, state.memory, { details: 'due' });
        const key = JSON.stringify([progress.completed, progress.errors, progress.target]);
        if (progress.written > 0 || key !== lastProgress) {
          lastProgress = key;
          await deps.notifier.runProgress({ runId: run.id }, await countExecutionsByStatus(deps.pool, run.id), run.target_count);
        }
        chunks = await listChunkStates(deps.pool, run.id);
        // Commands sent together finish together: once some have, look again soon for the rest
        // (one quick round per wave of completions, then the interval grows again).
        const stillOut = chunks.filter((c) => c.status === 'sent').length;
        if (stillOut > 0 && stillOut < sent.length) nextInterval = deps.settings.pollIntervalMs;
      }
      if (chunks.every((c) => c.status === 'complete' || c.status === 'rejected')) {
        await finishRun(ctx);
        return;
      }
      const deadlineAt = current.deadline_at === null ? null : Math.max(current.deadline_at, gate?.deadlineAt ?? 0);
      if (deadlineAt !== null && Date.now() > deadlineAt) {
        if (await endAtDeadline(ctx, state.memory)) return;
      }
    }
    // Quick at first, backing off to the cap; an ambiguous dispatch is looked at again next round. The
    // interval runs from the start of the round, so a long round (collecting 200 pages) is not added to it.
    const wait = nextInterval ?? interval;
    const pause = Math.max(wait - (Date.now() - roundStartedAt), Math.round(deps.settings.pollIntervalMs / 4));
    await recordPollRound(deps.pool, run.id, new Date(Date.now() + pause));
    await ctx.pause(pause);
    interval = Math.min(Math.round(wait * 1.5), deps.settings.pollMaxIntervalMs);
    nextInterval = undefined;
  }
};

/** Plans the chunks, the deadline and the audit event in one transaction, then reports the start. */
const plan = async (ctx: RunContext): Promise<void> => {
  const { deps, run, action } = ctx;
  const targets = await listRunTargets(deps.pool, run.id);
  const planned = chunkWaves(targets).map((c) => ({ ...c, id: randomUUID() }));
  const margin = deps.settings.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const deadline = new Date(Date.now() + (action.timeouts.deliverySeconds + action.timeouts.executionSeconds) * 1000 + margin);
  await deps.pool.transaction(async (tx) => {
    await planChunks(tx, run.id, planned);
    await setRunDeadline(tx, run.id, deadline);
    await appendAudit(tx, {
      runId: run.id,
      actor: 'executor',
      action: 'started',
      fromStatus: 'approved',
      toStatus: 'running',
      correlationId: run.correlation_id,
      data: { chunks: planned.length, owner: deps.owner },
    });
    await oweRunStarted(tx, run.id, run.target_count);
  });
  if (run.approved_at !== null) deps.metrics?.approvalWaited((run.approved_at - run.created_at) / 1000);
  await deps.notifier.runStarted({ runId: run.id });
};

/** Cancelled between approval and the first dispatch: nothing was sent, so nothing needs stopping. */
const cancelBeforeStart = async (ctx: RunContext, by: string): Promise<void> => {
  const { deps, run } = ctx;
  await finishOpenExecutions(deps.pool, run.id, 'not_sent', `cancelled by ${by} before anything was sent`);
  await deps.notifier.runNote({ runId: run.id }, `:octagonal_sign: Cancelled by <@${by}> before anything was sent.`);
  await finishRun(ctx, { by, data: { beforeStart: true } });
};

/** Waits for every promise (so nothing is left running behind the driver's back), then fails with the first error. */
const settleAll = async (promises: readonly Promise<unknown>[]): Promise<void> => {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
};
