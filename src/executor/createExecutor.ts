import { setTimeout as sleep } from 'node:timers/promises';
import { appendAudit } from '../db/queries/audit.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { oweRunFinished } from '../db/queries/outbox.ts';
import { claimRuns, expireRuns, releaseRun, renewLeases, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { driveRun } from './driveRun.ts';
import type { ExecutorDeps } from './executorDeps.ts';

export type Executor = {
  readonly start: () => void;
  /** Claim now instead of at the next tick (e.g. right after an approval on this replica). */
  readonly wake: () => void;
  /** Ends the current pause of a run this replica drives (e.g. right after a cancel was asked for). */
  readonly nudge: (runId: string) => void;
  /** Stops claiming, aborts run drivers, waits for them, and gives their leases back so another replica continues at once. */
  readonly stop: () => Promise<void>;
  readonly activeRuns: () => readonly string[];
};

type Driver = { readonly controller: AbortController; done: Promise<void>; renewedAt: number; nudge?: () => void };

// After a driver failed, this replica leaves the run alone for a moment (another may take it at once).
const RETRY_AFTER_FAILURE_MS = 5_000;

/**
 * The claim loop of one replica. Approved runs (and runs whose lease expired, i.e. a dead replica's)
 * are claimed with FOR UPDATE SKIP LOCKED, so each is claimed by exactly one replica; each claimed run
 * is driven until it finishes or its lease is lost. A heartbeat renews the leases of the runs this
 * replica drives; a driver whose lease could not be renewed for a whole lease period stops, because
 * another replica may already have taken the run over.
 */
export const createExecutor = (deps: ExecutorDeps): Executor => {
  const drivers = new Map<string, Driver>();
  const coolingUntil = new Map<string, number>();
  const stopping = new AbortController();
  const leaseMs = deps.settings.leaseSeconds * 1000;
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const pauseFor = (driver: Driver) => async (ms: number): Promise<void> => {
    const nudged = new AbortController();
    driver.nudge = () => nudged.abort();
    await sleep(ms, undefined, { signal: AbortSignal.any([nudged.signal, driver.controller.signal]) }).catch(() => {});
    driver.nudge = undefined;
  };

  const drive = (run: RunRow): void => {
    const controller = new AbortController();
    const driver: Driver = { controller, done: Promise.resolve(), renewedAt: Date.now() };
    drivers.set(run.id, driver);
    const log = deps.logger.child({ runId: run.id, tool: run.tool, action: run.action, requester: run.requester_id });
    driver.done = (async () => {
      try {
        const action = deps.registry.action(run.tool, run.action);
        if (!action) {
          await failUnknownAction(run);
          return;
        }
        await driveRun({
          deps, run, action, log, signal: controller.signal, pause: pauseFor(driver),
          session: { runId: run.id, requesterId: run.requester_id },
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        log.error({ err: error, correlationId: run.correlation_id }, 'run driver failed; it will be retried');
        coolingUntil.set(run.id, Date.now() + RETRY_AFTER_FAILURE_MS);
        // The lease is given back so the run is picked up again (elsewhere at once, here after a pause) from the database state.
        await releaseRun(deps.pool, run.id, deps.owner).catch(() => {});
      } finally {
        drivers.delete(run.id);
        // Finished, failed or taken over: this replica no longer needs the run's clients or queue state.
        deps.ssm.forget(run.id);
        deps.queues.forget(run.id);
      }
    })();
  };

  const failUnknownAction = async (run: RunRow): Promise<void> => {
    await finishOpenExecutions(deps.pool, run.id, 'not_sent', `action ${run.tool}/${run.action} no longer exists`);
    const moved = await transitionRun(deps.pool, run.id, ['running'], 'failed', { owner: deps.owner });
    if (moved) {
      await appendAudit(deps.pool, { runId: run.id, actor: 'executor', action: 'finished', fromStatus: 'running', toStatus: 'failed', reason: 'unknown action', correlationId: run.correlation_id });
      await deps.notifier.runNote({ runId: run.id }, `:x: The action ${run.tool}/${run.action} no longer exists in this version of the bot; nothing was sent.`);
    }
  };

  const tick = async (): Promise<void> => {
    const expired = await expireRuns(deps.pool);
    for (const run of expired) {
      await appendAudit(deps.pool, { runId: run.id, actor: 'executor', action: 'expired', fromStatus: 'pending_approval', toStatus: 'expired', correlationId: run.correlation_id });
      await oweRunFinished(deps.pool, run.id, { kind: 'expired' });
      await deps.notifier.runFinished({ runId: run.id }, 'expired', {}, []);
    }
    const room = deps.settings.maxActiveRuns - drivers.size;
    if (room <= 0 || stopping.signal.aborted) return;
    const now = Date.now();
    for (const [id, until] of coolingUntil) if (until <= now) coolingUntil.delete(id);
    const claimed = await claimRuns(deps.pool, { owner: deps.owner, leaseSeconds: deps.settings.leaseSeconds, limit: room, exclude: [...drivers.keys(), ...coolingUntil.keys()] });
    for (const run of claimed) drive(run);
  };

  const beat = async (): Promise<void> => {
    const ids = [...drivers.keys()];
    if (ids.length === 0) return;
    let kept: ReadonlySet<string>;
    try {
      kept = new Set(await renewLeases(deps.pool, deps.owner, ids, deps.settings.leaseSeconds));
    } catch (error) {
      // Cannot tell whether the leases still hold: keep going until a whole lease period has passed.
      const now = Date.now();
      for (const id of ids) {
        const driver = drivers.get(id);
        if (driver && now - driver.renewedAt > leaseMs) {
          deps.logger.warn({ runId: id }, 'lease not renewed for a whole lease period; stopping this run here');
          driver.controller.abort();
        }
      }
      throw error;
    }
    const now = Date.now();
    for (const id of ids) {
      const driver = drivers.get(id);
      if (!driver) continue;
      if (kept.has(id)) driver.renewedAt = now;
      else if (!driver.controller.signal.aborted) {
        deps.logger.warn({ runId: id }, 'lease lost; stopping this run here');
        driver.controller.abort();
      }
    }
  };

  return {
    start: () => {
      loop = (async () => {
        while (!stopping.signal.aborted) {
          try {
            await tick();
          } catch (error) {
            deps.logger.error({ err: error }, 'executor tick failed');
          }
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            void sleep(deps.settings.tickMs, undefined, { signal: stopping.signal }).then(resolve, resolve);
          });
        }
      })();
      heartbeat = setInterval(() => {
        beat().catch((error: unknown) => deps.logger.error({ err: error }, 'lease heartbeat failed'));
      }, Math.max(200, leaseMs / 3));
    },
    wake: () => wakeUp?.(),
    nudge: (runId) => drivers.get(runId)?.nudge?.(),
    stop: async () => {
      stopping.abort();
      wakeUp?.();
      if (heartbeat) clearInterval(heartbeat);
      const stopped = [...drivers.entries()];
      for (const [, driver] of stopped) driver.controller.abort();
      await loop;
      // Only once no driver can still write is the lease given back.
      await Promise.all(stopped.map(([, driver]) => driver.done));
      await Promise.all(stopped.map(([id]) => releaseRun(deps.pool, id, deps.owner).catch(() => {})));
      deps.queues.clear();
    },
    activeRuns: () => [...drivers.keys()],
  };
};
