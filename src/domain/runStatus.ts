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
  // A rollout stopped by its canary or error budget: Continue (an approver) or Stop.
  'halted',
  'stopped',
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** The run state machine: the only transitions the database layer will perform. */
export const runTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending_approval: ['approved', 'rejected', 'expired', 'cancelled'],
  approved: ['running', 'cancelled', 'failed'],
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
