// Public types of the fake AWS server (SSM awsJson1_1 + STS awsQuery). See README.md.

export type FakePartition = 'aws' | 'aws-us-gov';

export type FakePingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

/**
 * Terminal outcome of one invocation. 'TimedOut' is an execution timeout; 'DeliveryTimedOut' never
 * reaches the agent; 'Undeliverable' is refused by the service; 'Terminated' is what SSM does to
 * invocations it stops sending once MaxErrors is exceeded.
 */
export type FakeOutcome = 'Success' | 'Failed' | 'TimedOut' | 'DeliveryTimedOut' | 'Undeliverable' | 'Terminated' | 'Cancelled';

export type FakeBehavior = {
  status: FakeOutcome;
  stdout?: string;
  stderr?: string;
  /** Exit code for 'Failed' (default 1); ignored for other outcomes. */
  responseCode?: number;
  /** Milliseconds from InProgress to the terminal state (not scaled by timeScale). */
  runMs?: number;
};

export type FakeBehaviorContext = { commands: string[]; documentName: string; instance: FakeInstance };

export type FakeBehaviorSpec = FakeBehavior | ((ctx: FakeBehaviorContext) => FakeBehavior);

/**
 * Runs the command text for real (e.g. on a simulated host, `src/sandbox/simHost/`) and reports the
 * outcome. The invocation stays InProgress until the promise settles (a rejection is a Failed
 * invocation); one that outlives executionTimeout is TimedOut, as the agent would kill it.
 */
export type FakeRunner = (ctx: FakeBehaviorContext) => Promise<FakeBehavior>;

export type FakeInstance = {
  instanceId: string;
  accountId: string;
  region: string;
  platformType?: 'Linux' | 'Windows' | 'MacOS';
  platformName?: string;
  platformVersion?: string;
  pingStatus?: FakePingStatus;
  computerName?: string;
  ipAddress?: string;
  agentVersion?: string;
  /** Its tags, for GetResources and for DescribeInstanceInformation's `tag:` / `tag-key` filters alike. */
  tags?: Record<string, string>;
  /** Evaluated once per SendCommand; default { status: 'Success' }. */
  behavior?: FakeBehaviorSpec;
  /** When set (and the instance is reachable), the command runs through it instead of `behavior`. */
  run?: FakeRunner;
};

export type FakeAccount = {
  id: string;
  partition: FakePartition;
  /** The one role the product may assume in this account (arn:<partition>:iam::<id>:role/<name>). */
  roleArn: string;
  externalId?: string;
  /** The role's MaxSessionDuration; AWS's default is 3600. */
  maxSessionDurationSeconds?: number;
};

export type FakeBaseCredentials = {
  accessKeyId: string;
  secretAccessKey: string;
  /** Account that owns the base user (GetCallerIdentity); default 000000000000. */
  accountId?: string;
};

/** SSM calls answer ThrottlingException, tagging calls ThrottledException (each service's own). */
export type FakeThrottle = { rate: number; operations?: string[] };

export type FakeAwsOptions = {
  partitions: Partial<Record<FakePartition, FakeBaseCredentials>>;
  accounts: FakeAccount[];
  instances?: FakeInstance[];
  /** Default InProgress duration of an invocation (ms, default 200). */
  defaultRunMs?: number;
  /** Pending → InProgress delay, also Undeliverable and Cancelling durations (ms, default 50). */
  deliveryMs?: number;
  /** Multiplier for AWS-side second-based timeouts (TimeoutSeconds, executionTimeout); default 1. */
  timeScale?: number;
  latencyMs?: { min: number; max: number };
  throttle?: FakeThrottle;
  /** GetCommandInvocation answers InvocationDoesNotExist for younger invocations (default 0). */
  invocationVisibleAfterMs?: number;
  /** Seed of the PRNG that drives throttling and latency (default 1). */
  seed?: number;
  /** false keeps only per-operation counters (benchmarks). Default true. */
  recordCalls?: boolean;
  /** Verify SigV4 signatures, not just their shape (default true; cost is a few HMACs per call). */
  verifySignatures?: boolean;
  port?: number;
};

export type SendCommandFailureMode = 'accept-then-500' | 'accept-then-drop' | 'reject-500';

export type FakeCallRecord = {
  service: 'ssm' | 'sts' | 'tagging';
  operation: string;
  region: string | undefined;
  accessKeyId: string | undefined;
  /** Account of the caller: the assumed account for temporary credentials, the base account for base keys. */
  accountId: string | undefined;
  partition: FakePartition | undefined;
  request: unknown;
  status: number;
  /** AWS error code of a failed call ('dropped' when the socket was destroyed). */
  errorCode: string | undefined;
  /** From the SDK's amz-sdk-invocation-id / amz-sdk-request headers: same id + attempt > 1 means an SDK retry. */
  sdkInvocationId: string | undefined;
  sdkAttempt: number | undefined;
  at: number;
};

export type FakeCommandRecord = {
  commandId: string;
  accountId: string;
  region: string;
  partition: FakePartition;
  documentName: string;
  instanceIds: string[];
  commands: string[];
  comment: string;
  parameters: Record<string, string[]>;
  timeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  requestedAt: number;
  /** The temporary credentials the command was sent with. */
  sentBy: { accessKeyId: string; roleSessionName: string; sourceIdentity: string | undefined };
};

export type FakeInvocationRecord = {
  commandId: string;
  instanceId: string;
  status: string;
  statusDetails: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  requestedAt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
};

export type FakeAws = {
  readonly url: string;
  readonly port: number;
  /** Live array (empty when recordCalls is false). */
  readonly calls: readonly FakeCallRecord[];
  callCounts(): Record<string, number>;
  resetCalls(): void;
  commands(): FakeCommandRecord[];
  invocations(commandId: string): FakeInvocationRecord[];
  addInstances(instances: FakeInstance[]): void;
  /** Applies to commands sent afterwards. */
  setBehavior(instanceId: string, behavior: FakeBehaviorSpec | undefined): void;
  /** Applies to commands sent afterwards and to DescribeInstanceInformation. */
  setPingStatus(instanceId: string, status: FakePingStatus): void;
  /**
   * Replaces an instance's tags, seen by GetResources and by DescribeInstanceInformation's tag filters alike
   * (undefined: never tagged, so GetResources does not list it; {} : tags removed, listed with none).
   */
  setTags(instanceId: string, tags: Record<string, string> | undefined): void;
  failNextSendCommands(count: number, mode: SendCommandFailureMode): void;
  setThrottle(throttle: FakeThrottle | undefined): void;
  /** Strict outage: every call of these operations answers 500 (SSM InternalServerError, tagging InternalServiceException) and has no effect, until called again with []. */
  failOperations(operations: readonly string[]): void;
  /** Revoke (true) or restore (false) a partition's base key: a revoked key answers InvalidClientTokenId everywhere. */
  revokeBaseCredentials(partition: FakePartition, revoked: boolean): void;
  /** Break (true) or repair (false) the trust policy of an account's role: AssumeRole answers AccessDenied. */
  breakRoleTrust(accountId: string, broken: boolean): void;
  /** Expire one set of temporary credentials, or all of them. */
  expireCredentials(accessKeyId?: string): void;
  close(): Promise<void>;
};
