/**
 * `cancel_unconfirmed`: the run was cancelled but SSM never reported how this instance ended (the
 * cancel or the reads kept failing); it may have run to completion. Never recorded as `cancelled`.
 */
export const executionStatuses = [
  'pending',
  'sent',
  'in_progress',
  'success',
  'failed',
  'timed_out',
  'cancelled',
  'cancel_unconfirmed',
  'undeliverable',
  'terminated',
  'not_sent',
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

// Every status but the three an execution passes through on its way.
export const terminalExecutionStatuses: ReadonlySet<ExecutionStatus> = new Set(
  executionStatuses.filter((s) => s !== 'pending' && s !== 'sent' && s !== 'in_progress'),
);

export const isTerminalExecution = (s: ExecutionStatus): boolean => terminalExecutionStatuses.has(s);

/**
 * Maps an SSM invocation's Status + StatusDetails onto ours. StatusDetails is checked first because it
 * is the finer one (e.g. Status "TimedOut" covers both delivery and execution timeouts, and
 * "Undeliverable"/"Terminated" arrive as StatusDetails of a Failed invocation).
 */
export const executionStatusFromSsm = (status: string | undefined, details: string | undefined): ExecutionStatus => {
  switch (details) {
    case 'Undeliverable':
      return 'undeliverable';
    case 'Terminated':
      return 'terminated';
    case 'Delivery Timed Out':
    case 'DeliveryTimedOut':
      return 'undeliverable';
    case 'Execution Timed Out':
    case 'ExecutionTimedOut':
      return 'timed_out';
    default:
      break;
  }
  switch (status) {
    case 'Success':
      return 'success';
    case 'Failed':
      return 'failed';
    case 'TimedOut':
      return 'timed_out';
    case 'Cancelled':
      return 'cancelled';
    case 'InProgress':
    case 'Cancelling':
      return 'in_progress';
    case 'Pending':
    case 'Delayed':
    case undefined:
      return 'sent';
    default:
      // An unknown status is not terminal: keep polling rather than guess an outcome.
      return 'in_progress';
  }
};
