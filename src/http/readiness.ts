/** One condition for serving. `check` resolves true when it holds; throwing or a timeout counts as false. */
export type ReadinessCheck = { readonly name: string; readonly check: () => Promise<boolean> | boolean };

export type ReadinessState = { readonly ready: boolean; readonly started: boolean; readonly failing: readonly string[] };

export type Readiness = {
  /** Adds a check (e.g. the outbox adds "not stuck"); the list is open so other parts can plug in theirs. */
  readonly add: (check: ReadinessCheck) => void;
  /** From now on never ready (shutting down), so load balancers stop sending work. */
  readonly stopping: () => void;
  readonly evaluate: () => Promise<ReadinessState>;
};

const CHECK_TIMEOUT_MS = 1_500;

const withTimeout = async (check: ReadinessCheck): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check.check),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
};

/**
 * /readyz's list of checks, evaluated together per probe. `started` turns true the first time every
 * check held, so /healthz can tell "starting" from "unavailable".
 */
export const createReadiness = (checks: ReadinessCheck[] = []): Readiness => {
  const list = [...checks];
  let shuttingDown = false;
  let started = false;
  return {
    add: (check) => {
      list.push(check);
    },
    stopping: () => {
      shuttingDown = true;
    },
    evaluate: async () => {
      if (shuttingDown) return { ready: false, started, failing: ['shutting down'] };
      const results = await Promise.all(list.map(async (c) => [c.name, await withTimeout(c)] as const));
      const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
      if (failing.length === 0) started = true;
      return { ready: failing.length === 0, started, failing };
    },
  };
};

/** A check whose answer is kept for `ttlMs` (a probe every second must not cost a query every second). */
export const cachedCheck = (name: string, ttlMs: number, check: () => Promise<boolean>): ReadinessCheck => {
  let until = 0;
  let last: Promise<boolean> | undefined;
  return {
    name,
    check: () => {
      const now = Date.now();
      if (!last || now >= until) {
        until = now + ttlMs;
        last = Promise.resolve()
          .then(check)
          .catch(() => false);
      }
      return last;
    },
  };
};
