/**
 * What the parts of the bot report to /metrics. They receive this small interface (wired in main.ts),
 * so only http/ knows prom-client. Every method is cheap and never throws.
 */
export type AwsService = 'ssm' | 'sts' | 'tagging';
export type CallOutcome = 'ok' | 'error' | 'throttled';

export type OpsMetrics = {
  /** One SDK call (after the SDK's own retries), by operation and partition; `throttled` is an error that was a throttle. */
  readonly awsCall: (service: AwsService, operation: string, partition: string, outcome: CallOutcome) => void;
  /** One Slack Web API call (after the client's retries). */
  readonly slackCall: (method: string, outcome: 'ok' | 'error') => void;
  /** Slack answered 429 (the client waits Retry-After and tries again). */
  readonly slackRateLimited: (method: string) => void;
  readonly serviceNowCall: (outcome: 'ok' | 'error') => void;
  /** A run reached a final status on this replica, with its time from start to finish. */
  readonly runFinished: (status: string, durationSeconds: number) => void;
  /** A run was started: how long it waited from request to approval. */
  readonly approvalWaited: (seconds: number) => void;
  /** This replica claimed a run that had already started (another replica's lease expired or was handed back). */
  readonly leaseTakeover: () => void;
  /** A credential check failed (scope: partition or account; kind: the error kind). */
  readonly credentialCheckFailed: (scope: string, kind: string) => void;
};
