export const runStatuses = [
  'pending_approval',
  'approved',
  'scheduled',
  'rejected',
  'expired',
  'running',
  'succeeded',
  'failed',
  'partially_failed',
  'cancelled',
  // A rollout stopped by its canary or error budget: Continue (an approver) or Stop.
  'halted',
  'stopped',
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** The run state machine: the only transitions the database layer will perform. */
export const runTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending_approval: ['approved', 'scheduled', 'rejected', 'expired', 'cancelled'],
  approved: ['running', 'cancelled', 'failed'],
  // Approved before its change window opened: starts at the window (→ approved), or ends when cancelled or
  // when its change no longer allows the work (closed, window over: → failed, nothing sent).
  scheduled: ['approved', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'partially_failed', 'cancelled', 'halted'],
  halted: ['running', 'stopped'],
  stopped: [],
  rejected: [],
  expired: [],
  succeeded: [],
  failed: [],
  partially_failed: [],
  cancelled: [],
};

export const canTransition = (from: RunStatus, to: RunStatus): boolean => runTransitions[from].includes(to);

/** The statuses a run ends in (no move out of them); every other one is active. */
export const terminalRunStatuses: readonly RunStatus[] = runStatuses.filter((s) => runTransitions[s].length === 0);
export const activeRunStatuses: readonly RunStatus[] = runStatuses.filter((s) => runTransitions[s].length > 0);
/**
 * Statuses in which no replica holds the run's lease: the ended ones, a halted rollout waiting for a person, and
 * an approved run (a scheduled run's short start-check lease ends when it becomes approved at its window).
 */
export const unleasedRunStatuses: readonly RunStatus[] = [...terminalRunStatuses, 'halted', 'approved'];
