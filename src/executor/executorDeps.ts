import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { RunNotifier } from '../domain/runNotifier.ts';
import type { RunRow } from '../db/queries/runs.ts';
import type { LoadedAction, ToolRegistry } from '../tools/registry.ts';
import type { WorkQueues } from './workQueues.ts';

export type ExecutorSettings = {
  readonly pollIntervalMs: number;
  readonly pollMaxIntervalMs: number;
  readonly tickMs: number;
  readonly leaseSeconds: number;
  /** How long a dispatch intent without a visible command must age before it may be re-sent. */
  readonly reconcileGraceMs: number;
  /** Chunks of one run in flight at once: keeps one huge run from filling the shared queue. */
  readonly runWindow: number;
  readonly maxActiveRuns: number;
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
};

/** Everything one run's driver needs; `signal` aborts when the lease is lost or the process stops. */
export type RunContext = {
  readonly deps: ExecutorDeps;
  readonly run: RunRow;
  readonly action: LoadedAction;
  readonly session: { readonly runId: string; readonly requesterId: string };
  readonly log: Logger;
  readonly signal: AbortSignal;
};

export const commentFor = (runId: string, seq: number): string => `pcm-ops ${runId} #${seq}`;
