import type { Logger } from 'pino';

export type FaultOnce = {
  /** Logs the failure unless the same kind was already logged since the last success. */
  readonly failed: (error: unknown) => void;
  /** A success: the next failure is logged again, and a recovery is noted once. */
  readonly ok: () => void;
};

const kindOf = (error: unknown): string => {
  const e = error as { name?: string; code?: string; cause?: { code?: string } } | null;
  return [e?.name ?? 'Error', e?.code ?? e?.cause?.code ?? ''].join(':');
};

/**
 * A loop that fails every tick (e.g. the database is down) logs one line per kind of failure, not a
 * stack per tick, and one line when it works again.
 */
export const faultOnce = (log: Logger, what: string): FaultOnce => {
  let current: string | undefined;
  return {
    failed: (error) => {
      const kind = kindOf(error);
      if (kind === current) return;
      current = kind;
      log.error({ err: error, kind }, `${what} failed (logged once until it recovers or fails differently)`);
    },
    ok: () => {
      if (current === undefined) return;
      log.info({ kind: current }, `${what} works again`);
      current = undefined;
    },
  };
};
