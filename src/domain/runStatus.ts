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
] as const;
export type RunStatus = (typeof runStatuses)[number];

/** The run state machine: the only transitions the database layer will perform. */
export const runTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  pending_approval: ['approved', 'scheduled', 'rejected', 'expired', 'cancelled'],
  approved: ['running', 'cancelled', 'failed'],
  // Approved before its change window opened: starts at the window (→ approved), or ends when cancelled or
  // when its change no longer allows the work (closed, window over: → failed, nothing sent).
  scheduled: ['approved', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'partially_failed', 'cancelled'],
  rejected: [],
  expired: [],
  succeeded: [],
  failed: [],
  partially_failed: [],
  cancelled: [],
};

export const canTransition = (from: RunStatus, to: RunStatus): boolean => runTransitions[from].includes(to);
