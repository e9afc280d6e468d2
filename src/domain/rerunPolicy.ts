import type { ExecutionStatus } from './executionStatus.ts';
import type { RunStatus } from './runStatus.ts';

/**
 * Runs that offer "Re-run failed": finished with failures, stopped, or halted by their rollout (a halted run
 * keeps only the hosts it has yet to touch locked, so its failed hosts can be re-run meanwhile).
 */
export const rerunnableRunStatuses: readonly RunStatus[] = ['failed', 'partially_failed', 'halted', 'stopped'];

/** The executions a re-run targets: those that failed, timed out or were undeliverable. */
export const rerunExecutionStatuses: readonly ExecutionStatus[] = ['failed', 'timed_out', 'undeliverable'];

export const isRerunnable = (status: string): boolean => (rerunnableRunStatuses as readonly string[]).includes(status);
