import type { RunNotifier } from '../domain/runNotifier.ts';

/**
 * One notifier that reports to several (Slack messages, ServiceNow work notes). Each is called
 * concurrently and independently: one failing or throwing never stops the others nor reaches the executor.
 */
export const combineNotifiers = (...notifiers: readonly RunNotifier[]): RunNotifier => {
  const all = async (call: (n: RunNotifier) => Promise<void>): Promise<void> => {
    await Promise.allSettled(notifiers.map(async (n) => call(n)));
  };
  return {
    runStarted: (run) => all((n) => n.runStarted(run)),
    runProgress: (run, counts, total) => all((n) => n.runProgress(run, counts, total)),
    runFinished: (run, status, counts, notable) => all((n) => n.runFinished(run, status, counts, notable)),
    runNote: (run, text) => all((n) => n.runNote(run, text)),
  };
};
