import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import { claimPeriodicJob, ensurePeriodicJob, finishPeriodicJob } from '../db/queries/periodicJobs.ts';

export type PeriodicJob = {
  readonly name: string;
  readonly intervalMs: number;
  /** Run when first scheduled (e.g. credential checks at start) rather than one interval later. */
  readonly runAtStart?: boolean;
  /** How long a claim holds before another replica may take the job over (default: interval, at least 5 minutes). */
  readonly lockMs?: number;
  readonly run: (signal: AbortSignal) => Promise<void>;
};

export type PeriodicJobs = { readonly start: () => void; readonly stop: () => Promise<void> };

/**
 * The one mechanism for the bot's periodic background work. Every replica looks every `tickMs` for due jobs;
 * the database hands each due run to exactly one of them (periodic_jobs), so N replicas still check credentials
 * once per interval. A failure is recorded on the job and logged; the next run comes on schedule. stop() aborts
 * and waits for the runs in flight, then releases their claims.
 */
export const createPeriodicJobs = (o: {
  readonly pool: DatabasePool;
  readonly owner: string;
  readonly logger: Logger;
  readonly jobs: readonly PeriodicJob[];
  readonly tickMs?: number;
}): PeriodicJobs => {
  const tickMs = o.tickMs ?? 2_000;
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let ensured = false;

  const runJob = async (job: PeriodicJob): Promise<void> => {
    const log = o.logger.child({ job: job.name });
    let error: string | null = null;
    const started = Date.now();
    try {
      await job.run(controller.signal);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      log.warn({ err: e }, 'periodic job failed; it runs again on schedule');
    }
    await finishPeriodicJob(o.pool, job.name, o.owner, error).catch((e: unknown) =>
      log.warn({ err: e }, 'could not record the end of a periodic job'),
    );
    log.debug({ ms: Date.now() - started, ok: error === null }, 'periodic job ran');
  };

  const tick = async (): Promise<void> => {
    if (!ensured) {
      for (const job of o.jobs) await ensurePeriodicJob(o.pool, job.name, job.runAtStart ? 0 : job.intervalMs);
      ensured = true;
    }
    for (const job of o.jobs) {
      if (controller.signal.aborted || running.has(job.name)) continue;
      const lockMs = job.lockMs ?? Math.max(job.intervalMs, 5 * 60_000);
      if (!(await claimPeriodicJob(o.pool, job.name, o.owner, { intervalMs: job.intervalMs, lockMs }))) continue;
      const run = runJob(job).finally(() => running.delete(job.name));
      running.set(job.name, run);
    }
  };

  // The look for due jobs in progress: stop() waits for it too, so it never queries a pool being closed.
  let looking: Promise<void> | undefined;
  const loop = (): void => {
    if (controller.signal.aborted) return;
    looking = tick()
      .catch((e: unknown) => o.logger.warn({ err: e }, 'could not look for due periodic jobs'))
      .finally(() => {
        if (!controller.signal.aborted) timer = setTimeout(loop, tickMs);
      });
  };

  return {
    start: loop,
    stop: async () => {
      controller.abort();
      if (timer) clearTimeout(timer);
      await looking;
      await Promise.allSettled(running.values());
    },
  };
};
