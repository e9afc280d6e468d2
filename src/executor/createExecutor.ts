import { setTimeout as sleep } from 'node:timers/promises';
import { appendAudit } from '../db/queries/audit.ts';
import { finishOpenExecutions } from '../db/queries/executions.ts';
import { claimRuns, expireRuns, releaseRun, renewLeases, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { driveRun } from './driveRun.ts';
import type { ExecutorDeps } from './executorDeps.ts';

export type Executor = {
  readonly start: () => void;
  /** Claim now instead of at the next tick (e.g. right after an approval on this replica). */
  readonly wake: () => void;
  /** Stops claiming, aborts run drivers and gives their leases back so another replica continues at once. */
  readonly stop: () => Promise<void>;
  readonly activeRuns: () => readonly string[];
};

/**
 * The claim loop of one replica. Approved runs (and runs whose lease expired, i.e. a dead replica's)
 * are claimed with FOR UPDATE SKIP LOCKED; each claimed run is driven until it finishes or its lease is
 * lost. A heartbeat keeps the leases of the runs this replica drives.
 */
export const createExecutor = (deps: ExecutorDeps): Executor => {
  const active = new Map<string, AbortController>();
  const stopping = new AbortController();
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const drive = (run: RunRow): void => {
    const controller = new AbortController();
    active.set(run.id, controller);
    const log = deps.logger.child({ runId: run.id, tool: run.tool, action: run.action, requester: run.requester_id });
    void (async () => {
      try {
        const action = deps.registry.action(run.tool, run.action);
        if (!action) {
          await failUnknownAction(run);
          return;
        }
        await driveRun({ deps, run, action, log, signal: controller.signal, session: { runId: run.id, requesterId: run.requester_id } });
      } catch (error) {
        if (!controller.signal.aborted) log.error({ err: error, correlationId: run.correlation_id }, 'run driver failed; it will be retried');
        // The lease is given back so the run is picked up again (here or elsewhere) from the database state.
        await releaseRun(deps.pool, run.id, deps.owner).catch(() => {});
      } finally {
        active.delete(run.id);
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
      await deps.notifier.runFinished({ runId: run.id }, 'expired', {}, []);
    }
    const room = deps.settings.maxActiveRuns - active.size;
    if (room <= 0) return;
    const claimed = await claimRuns(deps.pool, { owner: deps.owner, leaseSeconds: deps.settings.leaseSeconds, limit: room, exclude: [...active.keys()] });
    for (const run of claimed) drive(run);
  };

  const beat = async (): Promise<void> => {
    const ids = [...active.keys()];
    const kept = new Set(await renewLeases(deps.pool, deps.owner, ids, deps.settings.leaseSeconds));
    for (const id of ids) {
      if (!kept.has(id)) {
        deps.logger.warn({ runId: id }, 'lease lost; stopping this run here');
        active.get(id)?.abort();
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
      }, Math.max(500, (deps.settings.leaseSeconds * 1000) / 3));
    },
    wake: () => wakeUp?.(),
    stop: async () => {
      stopping.abort();
      if (heartbeat) clearInterval(heartbeat);
      const ids = [...active.keys()];
      for (const controller of active.values()) controller.abort();
      await loop;
      await Promise.all(ids.map((id) => releaseRun(deps.pool, id, deps.owner).catch(() => {})));
    },
    activeRuns: () => [...active.keys()],
  };
};
