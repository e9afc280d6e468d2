import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { faultOnce } from '../logging/faultOnce.ts';

export type DeliveryLoop = {
  readonly start: () => void;
  /** Something was queued: look now instead of at the next interval. */
  readonly wake: () => void;
  /** Delivers everything due now (tests); rows waiting for a retry stay queued. */
  readonly drain: () => Promise<void>;
  /** Stops claiming; the delivery in flight gets `graceMs`, after which its claim lapses and any replica retries. */
  readonly stop: (graceMs?: number) => Promise<void>;
};

/** What one claim of a batch knows: when it was taken (its lease runs from then) and whether the loop is stopping. */
export type ClaimContext = { readonly claimedAt: number; readonly stopping: AbortSignal };

export type DeliveryLoopOptions<Row> = {
  /** Names the loop in its log lines ("<what> tick failed"). */
  readonly what: string;
  readonly logger: Logger;
  /** How long an idle loop waits before it looks for due rows again (wake() cuts it short). */
  readonly intervalMs: number;
  /**
   * Claims due rows for this replica (one statement, FOR UPDATE SKIP LOCKED, counting the attempt and setting
   * a lease), so N replicas never deliver one row twice and a crashed one's claims lapse.
   */
  readonly claim: () => Promise<readonly Row[]>;
  /** Delivers one claimed row and records the outcome (sent, retry at a later time, given up). */
  readonly deliver: (row: Row, claim: ClaimContext) => Promise<void>;
  /** `deliver` threw (a bug or the database): record a retry if possible; otherwise the row's claim lapses. */
  readonly onFault: (row: Row, error: unknown) => Promise<void>;
  readonly stopGraceMs?: number;
};

/** First retry after `baseMs`, doubling per attempt (attempts count from 1) up to `maxMs`. */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));

/**
 * The one mechanism for background delivery of rows written by state changes (the Slack outbox, ServiceNow
 * work notes): claim due rows, deliver them one at a time, record each outcome; look again at once while rows
 * were due, else sleep until the interval or a wake(). A failing claim (database down) is logged once per kind.
 * Ticks never overlap (drain() and the loop share one chain), so a replica holds one batch at a time.
 */
export const createDeliveryLoop = <Row>(o: DeliveryLoopOptions<Row>): DeliveryLoop => {
  const faults = faultOnce(o.logger, `${o.what} tick`);
  const stopping = new AbortController();
  let wakeUp: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const tick = async (): Promise<number> => {
    // Taken before the claim: its lease cannot have started earlier than this.
    const claim: ClaimContext = { claimedAt: Date.now(), stopping: stopping.signal };
    const rows = await o.claim();
    for (const row of rows) {
      await o.deliver(row, claim).catch(async (error: unknown) => o.onFault(row, error).catch(() => {}));
    }
    return rows.length;
  };

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = running.then(fn, fn);
    running = next.catch(() => {});
    return next;
  };

  return {
    start: () => {
      loop = (async () => {
        while (!stopping.signal.aborted) {
          const claimed = await serial(tick).then(
            (n) => {
              faults.ok();
              return n;
            },
            (error: unknown) => {
              faults.failed(error);
              return 0;
            },
          );
          if (claimed > 0) continue;
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
            void sleep(o.intervalMs, undefined, { signal: stopping.signal }).then(resolve, resolve);
          });
        }
      })();
    },
    wake: () => wakeUp?.(),
    drain: () =>
      serial(async () => {
        while ((await tick()) > 0) {
          // keep going while rows are due
        }
      }),
    stop: async (graceMs = o.stopGraceMs ?? 5_000) => {
      stopping.abort();
      wakeUp?.();
      const grace = new AbortController();
      await Promise.race([Promise.all([loop, running]), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => {})]);
      grace.abort();
    },
  };
};
