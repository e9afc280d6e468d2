import { setTimeout as sleep } from 'node:timers/promises';
import { appendAudit } from '../db/queries/audit.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { oweRunFinished } from '../db/queries/outbox.ts';
import { claimRuns, expireRuns, getRun, releaseRun, renewLeases, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { faultOnce } from '../logging/faultOnce.ts';
import { driveRun } from './driveRun.ts';
import { startScheduledRuns } from './startScheduledRuns.ts';
import type { ExecutorDeps } from './executorDeps.ts';
import { runLogFields } from '../logging/runLogFields.ts';

export type Executor = {
  readonly start: () => void;
  /** Claim now instead of at the next tick (e.g. right after an approval on this replica). */
  readonly wake: () => void;
  /** Ends the current pause of a run this replica drives (e.g. right after a cancel was asked for). */
  readonly nudge: (runId: string) => void;
  /**
   * Stops claiming and lets each run driver end at its next step: calls already made (and sends already
   * started) settle, nothing new is sent. After `graceMs` (default 0) whatever still runs is aborted.
   * Then the leases are given back so another replica continues at once.
   */
  readonly stop: (graceMs?: number) => Promise<void>;
  readonly activeRuns: () => readonly string[];
};

type Driver = { readonly controller: AbortController; done: Promise<void>; renewedAt: number; nudge?: () => void };

// Scheduled runs looked at per tick (each asks ServiceNow once).
const SCHEDULED_PER_TICK = 20;

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

  const tickFaults = faultOnce(deps.logger, 'executor tick');
  const beatFaults = faultOnce(deps.logger, 'lease heartbeat');
  const scheduleFaults = faultOnce(deps.logger, 'scheduled runs');
  let scheduling: Promise<void> | undefined;

  const pauseFor =
    (driver: Driver) =>
    async (ms: number): Promise<void> => {
      const nudged = new AbortController();
      driver.nudge = () => nudged.abort();
      await sleep(ms, undefined, { signal: AbortSignal.any([nudged.signal, driver.controller.signal, stopping.signal]) }).catch(() => {});
      driver.nudge = undefined;
    };

  const drive = (run: RunRow): void => {
    const controller = new AbortController();
    const driver: Driver = { controller, done: Promise.resolve(), renewedAt: Date.now() };
    drivers.set(run.id, driver);
    const log = deps.logger.child(runLogFields(run));
    driver.done = (async () => {
      try {
        const action = deps.registry.action(run.tool, run.action);
        if (!action) {
          await failUnknownAction(run);
          return;
        }
        await driveRun({
          deps,
          run,
          action,
          log,
          signal: controller.signal,
          stopping: stopping.signal,
          pause: pauseFor(driver),
          session: { runId: run.id, requesterId: run.requester_id },
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        log.error({ err: error }, 'run driver failed; it will be retried');
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
      await appendAudit(deps.pool, {
        runId: run.id,
        actor: 'executor',
        action: 'finished',
        fromStatus: 'running',
        toStatus: 'failed',
        reason: 'unknown action',
        correlationId: run.correlation_id,
      });
      await deps.notifier.runNote(
        { runId: run.id },
        `:x: The action ${run.tool}/${run.action} no longer exists in this version of the bot; nothing was sent.`,
      );
    }
  };

  const tick = async (): Promise<void> => {
    const expired = await expireRuns(deps.pool);
    for (const run of expired) {
      await appendAudit(deps.pool, {
        runId: run.id,
        actor: 'executor',
        action: 'expired',
        fromStatus: 'pending_approval',
        toStatus: 'expired',
        correlationId: run.correlation_id,
      });
      await oweRunFinished(deps.pool, run.id, { kind: 'expired' });
      await deps.notifier.runFinished({ runId: run.id }, 'expired', {}, []);
    }
    if (stopping.signal.aborted) return;
    // Scheduled runs whose window opened become approved (then claimed like any approved run, on any replica).
    // Beside the tick, one pass at a time: a slow ServiceNow never holds up the claiming of approved runs.
    scheduling ??= startScheduledRuns(deps, SCHEDULED_PER_TICK)
      .then((started) => {
        scheduleFaults.ok();
        if (started > 0) wakeUp?.();
      }, scheduleFaults.failed)
      .finally(() => {
        scheduling = undefined;
      });
    const room = deps.settings.maxActiveRuns - drivers.size;
    if (room <= 0) return;
    const now = Date.now();
    for (const [id, until] of coolingUntil) if (until <= now) coolingUntil.delete(id);
    const claimed = await claimRuns(deps.pool, {
      owner: deps.owner,
      leaseSeconds: deps.settings.leaseSeconds,
      limit: room,
      exclude: [...drivers.keys(), ...coolingUntil.keys()],
    });
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
      else if (!driver.controller.signal.aborted && (await leaseTakenFrom(id))) {
        deps.logger.warn({ runId: id }, 'lease lost; stopping this run here');
        driver.controller.abort();
      }
    }
  };

  // A lease that was not renewed because the run just finished here (its driver is still reporting) is
  // not lost: only a run still running (under another owner, or none) is.
  const leaseTakenFrom = async (id: string): Promise<boolean> => {
    const row = await getRun(deps.pool, id);
    return row !== null && row.status === 'running';
  };

  return {
    start: () => {
      loop = (async () => {
        while (!stopping.signal.aborted) {
          try {
            await tick();
            tickFaults.ok();
          } catch (error) {
            tickFaults.failed(error);
          }
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            void sleep(deps.settings.tickMs, undefined, { signal: stopping.signal }).then(resolve, resolve);
          });
        }
      })();
      heartbeat = setInterval(
        () => {
          beat().then(beatFaults.ok, beatFaults.failed);
        },
        Math.max(200, leaseMs / 3),
      );
    },
    wake: () => wakeUp?.(),
    nudge: (runId) => drivers.get(runId)?.nudge?.(),
    stop: async (graceMs = 0) => {
      // Drivers see `stopping` between steps (and their pauses end); the heartbeat keeps their leases meanwhile.
      stopping.abort();
      wakeUp?.();
      await loop;
      await scheduling;
      const stopped = [...drivers.entries()];
      const cutOff = setTimeout(() => {
        for (const [, driver] of stopped) driver.controller.abort();
      }, graceMs);
      // Only once no driver can still write is the lease given back.
      await Promise.all(stopped.map(([, driver]) => driver.done));
      clearTimeout(cutOff);
      if (heartbeat) clearInterval(heartbeat);
      await Promise.all(stopped.map(([id]) => releaseRun(deps.pool, id, deps.owner).catch(() => {})));
      deps.queues.clear();
    },
    activeRuns: () => [...drivers.keys()],
  };
};
