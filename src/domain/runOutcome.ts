import type { ExecutionStatus } from './executionStatus.ts';
import type { RunStatus } from './runStatus.ts';

export type StatusCounts = Partial<Record<ExecutionStatus, number>>;

/** Final run status from the executions' final statuses. */
export const runOutcome = (counts: StatusCounts): Extract<RunStatus, 'succeeded' | 'failed' | 'partially_failed'> => {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const ok = counts.success ?? 0;
  if (total > 0 && ok === total) return 'succeeded';
  if (ok === 0) return 'failed';
  return 'partially_failed';
};
