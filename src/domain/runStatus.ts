export const runStatuses = [
  'pending_approval',
  'approved',
  'rejected',
  'expired',
  'running',
  'succeeded',
  'failed',
  'partially_failed',
  'cancelled',
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** The run state machine: the only transitions the database layer will perform. */
export const runTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending_approval: ['approved', 'rejected', 'expired', 'cancelled'],
  approved: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'partially_failed', 'cancelled'],
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
