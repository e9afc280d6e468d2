import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { RunNotifier } from '../domain/runNotifier.ts';
import { oweRunParent, oweRunReply } from '../db/queries/outbox.ts';

/**
 * The executor's notifier for Slack: it only queues owed messages in the outbox (src/outbox/ sends them),
 * so the executor never waits for Slack. A run's start and end are queued by the executor itself in the
 * transaction of that transition (oweRunStarted / oweRunFinished); here they only wake the delivery loop.
 * Never throws into the executor.
 */
export const createSlackRunNotifier = (deps: { pool: DatabasePool; logger: Logger; wake: () => void }): RunNotifier => {
  const queue = async (what: string, runId: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
      deps.wake();
    } catch (error) {
      deps.logger.warn({ err: error, runId }, `could not queue the Slack message: ${what}`);
    }
  };
  return {
    runStarted: async () => deps.wake(),
    runFinished: async () => deps.wake(),
    runProgress: ({ runId }) => queue('progress', runId, () => oweRunParent(deps.pool, runId)),
    runNote: ({ runId }, text) => queue('note', runId, () => oweRunReply(deps.pool, runId, { kind: 'text', text })),
  };
};
