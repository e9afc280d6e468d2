import type { ExecutionStatus } from './executionStatus.ts';
import type { RunStatus } from './runStatus.ts';

/** Finished runs that offer "Re-run failed" (add `halted` / `stopped` here once they exist). */
export const rerunnableRunStatuses: readonly RunStatus[] = ['failed', 'partially_failed'];

/** The executions a re-run targets: those that failed, timed out or were undeliverable. */
export const rerunExecutionStatuses: readonly ExecutionStatus[] = ['failed', 'timed_out', 'undeliverable'];

export const isRerunnable = (status: string): boolean => (rerunnableRunStatuses as readonly string[]).includes(status);
