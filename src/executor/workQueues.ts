import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { isThrottle } from './ssmErrors.ts';

/** Who a call is for: the run (fairness) and the account+region (SSM throttles per account and region). */
export type WorkJob = { readonly runId: string; readonly accountId: string; readonly region: string; readonly signal?: AbortSignal };

export type WorkOptions = {
  /**
   * Retry the task after a ThrottlingException that got past the SDK's own retries, once the
   * account+region pause is over (default true). SendCommand passes false and retries itself, because
   * its intent has to be re-recorded first.
   */
  readonly retryThrottles?: boolean;
};

export type WorkQueues = {
  /** Runs `task` inside both bounds (global, account+region), fairly across runs. */
  readonly run: <T>(job: WorkJob, task: () => Promise<T>, options?: WorkOptions) => Promise<T>;
  /** Records a throttle that the caller will retry itself: pauses the account+region like run() does. */
  readonly throttled: (accountId: string, region: string) => void;
  /** Drops a finished run's fairness state. */
  readonly forget: (runId: string) => void;
  readonly idle: () => Promise<void>;
  readonly clear: () => void;
  /** SSM calls waiting for a slot and calls running now (for /metrics). */
  readonly depth: () => { readonly waiting: number; readonly running: number };
};

export type WorkQueueLimits = {
  readonly global: number;
  readonly perRegion: number;
  /** First pause of an account+region after a throttle; doubles per consecutive throttle up to maxBackoffMs. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How many throttles one task may meet before the error is passed on. */
  readonly throttleRetries?: number;
};

type RegionState = { readonly queue: PQueue; throttles: number; resumeAt: number; timer: NodeJS.Timeout | undefined };

/**
 * The in-process bound on SSM work: at most `global` calls at once, and at most `perRegion` against one
 * account+region. Fair across runs by start-time fair queueing: each task gets a tag one past the
 * later of its run's previous tag and the tag last started, and both p-queues serve the lowest tag
 * first. Runs with work waiting are therefore served round-robin, whatever their size, and a run that
 * was idle gains no credit. A throttle that got past the SDK pauses that account+region (exponential,
 * jittered) for every run, then the task keeps its place.
 */
export const createWorkQueues = (limits: WorkQueueLimits): WorkQueues => {
  const baseBackoffMs = limits.baseBackoffMs ?? 500;
  const maxBackoffMs = limits.maxBackoffMs ?? 20_000;
  const throttleRetries = limits.throttleRetries ?? 8;
  const global = new PQueue({ concurrency: limits.global });
  const regions = new Map<string, RegionState>();
  const lastTag = new Map<string, number>();
  let virtualTime = 0;

  const regionOf = (accountId: string, region: string): RegionState => {
    const key = `${accountId}|${region}`;
    let state = regions.get(key);
    if (!state) {
      state = { queue: new PQueue({ concurrency: limits.perRegion }), throttles: 0, resumeAt: 0, timer: undefined };
      regions.set(key, state);
    }
    return state;
  };

  const throttled = (state: RegionState): void => {
    state.throttles += 1;
    const delay = Math.min(baseBackoffMs * 2 ** (state.throttles - 1), maxBackoffMs) * (0.5 + Math.random());
    const resumeAt = Date.now() + delay;
    if (resumeAt <= state.resumeAt) return;
    state.resumeAt = resumeAt;
    state.queue.pause();
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.queue.start();
    }, delay);
    state.timer.unref();
  };

  const once = async <T>(job: WorkJob, state: RegionState, tag: number, task: () => Promise<T>): Promise<T> => {
    const options = { priority: -tag, ...(job.signal ? { signal: job.signal } : {}) };
    return state.queue.add(
      async () =>
        global.add(async () => {
          virtualTime = Math.max(virtualTime, tag);
          return task();
        }, options),
      options,
    );
  };

  return {
    run: async (job, task, options = {}) => {
      const tag = Math.max(virtualTime, lastTag.get(job.runId) ?? 0) + 1;
      lastTag.set(job.runId, tag);
      const state = regionOf(job.accountId, job.region);
      for (let attempt = 1; ; attempt += 1) {
        try {
          const result = await once(job, state, tag, task);
          state.throttles = 0;
          return result;
        } catch (error) {
          const retry = options.retryThrottles !== false && isThrottle(error) && attempt <= throttleRetries && !job.signal?.aborted;
          if (!retry) throw error;
          throttled(state);
          // The queue is paused now; waiting here as well keeps a lone caller from spinning.
          await sleep(Math.max(0, state.resumeAt - Date.now()), undefined, job.signal ? { signal: job.signal } : {});
        }
      }
    },
    throttled: (accountId, region) => throttled(regionOf(accountId, region)),
    forget: (runId) => {
      lastTag.delete(runId);
    },
    idle: async () => {
      await Promise.all([global.onIdle(), ...[...regions.values()].map((s) => s.queue.onIdle())]);
    },
    depth: () => ({
      waiting: global.size + [...regions.values()].reduce((n, s) => n + s.queue.size, 0),
      running: global.pending,
    }),
    clear: () => {
      global.clear();
      for (const s of regions.values()) {
        s.queue.clear();
        if (s.timer) clearTimeout(s.timer);
        s.queue.start();
      }
    },
  };
};
