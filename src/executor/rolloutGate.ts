import { rolloutStep, type Halt, type RolloutPolicy } from '../domain/rolloutPolicy.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { listWaveProgress } from '../db/queries/chunks.ts';
import { countExecutionsByStatus, countRolloutTally } from '../db/queries/executions.ts';
import { oweRunHalted } from '../db/queries/outbox.ts';
import { extendRunDeadline, transitionRun, type RunRow } from '../db/queries/runs.ts';
import type { RunContext } from './executorDeps.ts';

const DEFAULT_DEADLINE_MARGIN_MS = 5 * 60_000;

/** What this round may send under the run's rollout policy. */
export type Gate =
  /** `deadlineAt`: the run's deadline now covers the wave (the round's row was read before it moved). */
  | { readonly kind: 'wave'; readonly wave: number; readonly deadlineAt: number }
  /** Nothing is sent this round (a wave in flight, a pause, the budget spent with commands still out). */
  | { readonly kind: 'hold'; readonly until?: number; readonly deadlineAt?: number }
  /** The run halted here (or someone moved it first): the driver stops. */
  | { readonly kind: 'halted' };

/**
 * The executor's side of the rollout: asks the pure policy what may happen next, moves the run's deadline
 * to cover a wave it releases, and halts the run (guarded, with its audit event and the Slack messages it
 * owes in the same transaction) once nothing is in flight and the budget is spent or the canary failed.
 */
export const rolloutGate = async (ctx: RunContext, current: RunRow, policy: RolloutPolicy): Promise<Gate> => {
  const { deps, run, action } = ctx;
  const [waves, tally] = await Promise.all([listWaveProgress(deps.pool, run.id), countRolloutTally(deps.pool, run.id)]);
  const now = Date.now();
  // A running run with a halt on record was halted before and continued.
  const continued = current.halt !== null;
  const step = rolloutStep(policy, waves, { targets: run.target_count, ...tally, accepted: current.failures_accepted, continued }, now);
  // Each wave gets the time one command may take from its release (a pause is waited out first), so a
  // rollout of many waves, or one continued hours after it halted, is not ended by the first wave's deadline.
  const margin = deps.settings.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const covering = async (from: number): Promise<number> => {
    const deadlineAt = from + (action.timeouts.deliverySeconds + action.timeouts.executionSeconds) * 1000 + margin;
    await extendRunDeadline(deps.pool, run.id, new Date(deadlineAt));
    return deadlineAt;
  };
  switch (step.kind) {
    case 'done':
      return { kind: 'hold' };
    case 'wait':
      return step.until === undefined ? { kind: 'hold' } : { kind: 'hold', until: step.until, deadlineAt: await covering(step.until) };
    case 'dispatch':
      return { kind: 'wave', wave: step.wave, deadlineAt: await covering(now) };
    case 'halt': {
      const { kind: _kind, ...halt } = step;
      await haltRun(ctx, halt);
      return { kind: 'halted' };
    }
  }
};

const haltRun = async (ctx: RunContext, halt: Halt): Promise<void> => {
  const { deps, run, log } = ctx;
  const moved = await deps.pool.transaction(async (tx) => {
    const row = await transitionRun(tx, run.id, ['running'], 'halted', { owner: deps.owner, halt: { ...halt } });
    if (!row) return null;
    await appendAudit(tx, {
      runId: run.id,
      actor: 'executor',
      action: 'halted',
      fromStatus: 'running',
      toStatus: 'halted',
      reason: halt.reason,
      correlationId: run.correlation_id,
      data: { ...halt, planDigest: run.plan_digest },
    });
    await oweRunHalted(tx, run.id, halt);
    return row;
  });
  if (!moved) {
    log.warn('run was moved by someone else before it could halt here');
    return;
  }
  log.warn({ halt }, 'rollout halted');
  // Wakes the Slack delivery (the messages were queued with the transition).
  await deps.notifier.runProgress({ runId: run.id }, await countExecutionsByStatus(deps.pool, run.id), run.target_count);
};
