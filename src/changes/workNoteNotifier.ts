import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { RunNotifier } from '../domain/runNotifier.ts';
import { getRun } from '../db/queries/runs.ts';
import { insertWorkNote, type WorkNoteKind } from '../db/queries/workNotes.ts';

/**
 * The executor's notifier for ServiceNow: when a run starts and when it ends, a work note is queued
 * (one row in the outbox) for the writer to send. Nothing here waits for ServiceNow, and nothing
 * throws into the executor. Requests that never started (expired, rejected) get no note.
 */
export const createWorkNoteNotifier = (deps: {
  readonly pool: DatabasePool;
  readonly logger: Logger;
  readonly onQueued?: () => void;
}): RunNotifier => {
  const queue = async (runId: string, kind: WorkNoteKind, status: string | null, counts: Record<string, number>): Promise<void> => {
    try {
      const run = await getRun(deps.pool, runId);
      if (!run || run.started_at === null) return;
      if (await insertWorkNote(deps.pool, { runId, changeNumber: run.change_number, kind, status, counts })) deps.onQueued?.();
    } catch (error) {
      deps.logger.warn({ err: error, runId, kind }, 'could not queue a ServiceNow work note');
    }
  };
  return {
    runStarted: ({ runId }) => queue(runId, 'started', 'running', {}),
    runProgress: async () => {},
    runNote: async () => {},
    runFinished: ({ runId }, status, counts) => {
      if (status === 'expired' || status === 'rejected') return Promise.resolve();
      const clean = Object.fromEntries(Object.entries(counts).filter((e): e is [string, number] => typeof e[1] === 'number'));
      return queue(runId, 'finished', status, clean);
    },
  };
};
