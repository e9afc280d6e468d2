import PQueue from 'p-queue';

export type WorkQueues = {
  /** Runs `task` inside both bounds: the global one and the account+region one. */
  readonly run: <T>(accountId: string, region: string, task: () => Promise<T>) => Promise<T>;
  readonly idle: () => Promise<void>;
  readonly clear: () => void;
};

/**
 * The in-process bound on SSM work: at most `global` calls at once, and at most `perRegion` against
 * one account+region (SSM throttles per account and region). Fairness across runs comes from each run
 * keeping only a small window of tasks queued at a time (see driveRun).
 */
export const createWorkQueues = (limits: { readonly global: number; readonly perRegion: number }): WorkQueues => {
  const global = new PQueue({ concurrency: limits.global });
  const regional = new Map<string, PQueue>();
  const queueFor = (key: string): PQueue => {
    let q = regional.get(key);
    if (!q) {
      q = new PQueue({ concurrency: limits.perRegion });
      regional.set(key, q);
    }
    return q;
  };
  return {
    run: async <T>(accountId: string, region: string, task: () => Promise<T>): Promise<T> =>
      (await queueFor(`${accountId}|${region}`).add(async () => (await global.add(task)) as T)) as T,
    idle: async () => {
      await Promise.all([global.onIdle(), ...[...regional.values()].map((q) => q.onIdle())]);
    },
    clear: () => {
      global.clear();
      for (const q of regional.values()) q.clear();
    },
  };
};
