import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { RunNotifier } from '../domain/runNotifier.ts';
import type { RunRow } from '../db/queries/runs.ts';
import type { OpsMetrics } from '../http/opsMetrics.ts';
import type { LoadedAction, ToolRegistry } from '../tools/registry.ts';
import type { WorkJob, WorkQueues } from './workQueues.ts';

export type ExecutorSettings = {
  /** First pause between poll rounds; it grows ×1.5 per round up to pollMaxIntervalMs. */
  readonly pollIntervalMs: number;
  readonly pollMaxIntervalMs: number;
  /** How often a still-running command's per-instance statuses are read (bounded cost for long runs). */
  readonly detailRefreshMs: number;
  readonly tickMs: number;
  readonly leaseSeconds: number;
  /** How long a dispatch intent without a visible command must age before it may be re-sent. */
  readonly reconcileGraceMs: number;
  readonly maxActiveRuns: number;
  /** Added to a run's delivery + execution timeouts to give its run-level deadline (default 5 minutes). */
  readonly deadlineMarginMs?: number;
  /** After CancelCommand, how long to wait for SSM to report the cancellations before closing the run (default 2 minutes). */
  readonly cancelWaitMs?: number;
  /** How often a scheduled run's change is checked in ServiceNow while it waits (default 5 minutes). */
  readonly scheduleCheckMs?: number;
};

export type ExecutorDeps = {
  readonly pool: DatabasePool;
  readonly registry: ToolRegistry;
  readonly ssm: SsmClients;
  readonly accounts: ReadonlyMap<string, TargetAccount>;
  readonly notifier: RunNotifier;
  readonly changes: ChangeVerifier;
  readonly queues: WorkQueues;
  readonly logger: Logger;
  /** This replica's lease owner id. */
  readonly owner: string;
  readonly settings: ExecutorSettings;
  /** Run outcomes, approval waits and takeovers for /metrics (none counted when absent). */
  readonly metrics?: OpsMetrics;
};

/** Everything one run's driver needs; `signal` aborts when the lease is lost or the process stops. */
export type RunContext = {
  readonly deps: ExecutorDeps;
  readonly run: RunRow;
  readonly action: LoadedAction;
  readonly session: { readonly runId: string; readonly requesterId: string };
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The process is shutting down: end at the next step and start nothing new (calls in flight settle). */
  readonly stopping?: AbortSignal;
  /** Waits between poll rounds; returns early when the run is nudged (e.g. a cancel was asked for) or aborted. */
  readonly pause: (ms: number) => Promise<void>;
};

export const commentFor = (runId: string, seq: number): string => `pcm-ops ${runId} #${seq}`;

/** The queue job for a call made for this run against one account+region. */
export const jobFor = (ctx: RunContext, accountId: string, region: string): WorkJob => ({
  runId: ctx.run.id,
  accountId,
  region,
  signal: ctx.signal,
});
