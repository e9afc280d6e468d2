/** A check's answer: true when it holds; false, or the reason it does not (safe to show to anyone who asks). */
export type CheckResult = boolean | { readonly reason: string };

/** One condition for serving. Throwing or a timeout counts as false. */
export type ReadinessCheck = { readonly name: string; readonly check: () => Promise<CheckResult> | CheckResult };

export type ReadinessState = {
  readonly ready: boolean;
  readonly started: boolean;
  readonly failing: readonly string[];
  /** Why, for the failing checks that say (e.g. how old the oldest owed Slack message is). */
  readonly reasons: Readonly<Record<string, string>>;
};

export type Readiness = {
  /** Adds a check (e.g. the outbox adds "not stuck"); the list is open so other parts can plug in theirs. */
  readonly add: (check: ReadinessCheck) => void;
  /** From now on never ready (shutting down), so load balancers stop sending work. */
  readonly stopping: () => void;
  readonly evaluate: () => Promise<ReadinessState>;
};

const CHECK_TIMEOUT_MS = 1_500;

const withTimeout = async (check: ReadinessCheck): Promise<CheckResult> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check.check),
      new Promise<CheckResult>((resolve) => {
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
      if (shuttingDown) return { ready: false, started, failing: ['shutting down'], reasons: {} };
      const results = await Promise.all(list.map(async (c) => [c.name, await withTimeout(c)] as const));
      const failing = results.filter(([, r]) => r !== true).map(([name]) => name);
      const reasons = Object.fromEntries(results.flatMap(([name, r]) => (typeof r === 'object' ? [[name, r.reason]] : [])));
      if (failing.length === 0) started = true;
      return { ready: failing.length === 0, started, failing, reasons };
    },
  };
};

/** A check whose answer is kept for `ttlMs` (a probe every second must not cost a query every second). */
export const cachedCheck = (name: string, ttlMs: number, check: () => Promise<CheckResult>): ReadinessCheck => {
  let until = 0;
  let last: Promise<CheckResult> | undefined;
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
