// The executor driven in-process: real PostgreSQL, real SSM/STS clients against the fake AWS, a
// recording RunNotifier instead of Slack, and runs inserted in `approved` state through the product's
// own query functions.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createCredentialBroker } from '../../src/aws/credentialBroker.ts';
import { createSsmClients, type SsmClients } from '../../src/aws/ssmClients.ts';
import { createTaggingClients, type TaggingClients } from '../../src/aws/taggingClients.ts';
import type { ChangeVerifier } from '../../src/changes/changeVerifier.ts';
import type { ServiceNowChange } from '../../src/changes/serviceNowClient.ts';
import type { TargetAccount, Targets } from '../../src/config/targetsSchema.ts';
import { planDigest } from '../../src/domain/planDigest.ts';
import { chooseRollout } from '../../src/domain/rolloutChoice.ts';
import { assignWaves, type RolloutPolicy } from '../../src/domain/rolloutPolicy.ts';
import { refuse } from '../../src/domain/refusal.ts';
import type { RunNotifier } from '../../src/domain/runNotifier.ts';
import type { StatusCounts } from '../../src/domain/runOutcome.ts';
import type { RunStatus } from '../../src/domain/runStatus.ts';
import { insertExecutions, type ExecutionTarget } from '../../src/db/queries/executions.ts';
import { insertRun, transitionRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { createExecutor, type Executor } from '../../src/executor/createExecutor.ts';
import type { ExecutorSettings } from '../../src/executor/executorDeps.ts';
import { createWorkQueues, type WorkQueueLimits } from '../../src/executor/workQueues.ts';
import { scriptRecordOf } from '../../src/tools/scriptRecordOf.ts';
import { loadRegistry, type LoadedAction, type ToolRegistry } from '../../src/tools/registry.ts';
import { startFakeAws, type FakeAws, type FakeAwsOptions, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS, BASE_CREDENTIALS, CHANGE } from './sandbox.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

export type NotifierCall =
  | { readonly kind: 'started'; readonly runId: string }
  | { readonly kind: 'progress'; readonly runId: string; readonly counts: StatusCounts; readonly total: number }
  | {
      readonly kind: 'finished';
      readonly runId: string;
      readonly status: RunStatus;
      readonly counts: StatusCounts;
      readonly notable: number;
    }
  | { readonly kind: 'note'; readonly runId: string; readonly text: string };

export type RecordingNotifier = RunNotifier & { readonly calls: NotifierCall[] };

export const recordingNotifier = (): RecordingNotifier => {
  const calls: NotifierCall[] = [];
  return {
    calls,
    runStarted: async ({ runId }) => void calls.push({ kind: 'started', runId }),
    runProgress: async ({ runId }, counts, total) => void calls.push({ kind: 'progress', runId, counts, total }),
    runFinished: async ({ runId }, status, counts, notable) =>
      void calls.push({ kind: 'finished', runId, status, counts, notable: notable.length }),
    runNote: async ({ runId }, text) => void calls.push({ kind: 'note', runId, text }),
  };
};

export const TARGETS: Targets = {
  partitions: { aws: {}, 'aws-us-gov': {} },
  accounts: Object.values(ACCOUNTS).map((a) => ({ ...a, regions: [...a.regions] }) as TargetAccount),
};

export type HarnessOptions = {
  readonly instances: FakeInstance[];
  readonly aws?: Partial<FakeAwsOptions>;
  readonly settings?: Partial<ExecutorSettings>;
  readonly limits?: Partial<WorkQueueLimits>;
  /** Rewrites actions as the registry hands them to the executor (test-only timeouts, output destinations). */
  readonly actions?: (action: LoadedAction) => LoadedAction;
  readonly readerMaxAttempts?: number;
  /** A second replica: same fake AWS and database as this harness, its own executor (and lease owner id). */
  readonly sharing?: Harness;
  /** Wraps the recording notifier (e.g. to make Slack slow); calls are still recorded. */
  readonly notifier?: (recording: RunNotifier) => RunNotifier;
  readonly logger?: Logger;
  /** The change verifier the executor uses (e.g. a real one against the fake ServiceNow); default a stub driven by `changeOk`. */
  readonly changes?: (pool: DatabasePool) => ChangeVerifier;
};

export type Harness = {
  readonly aws: FakeAws;
  readonly db: TestDatabase;
  readonly registry: ToolRegistry;
  readonly notifier: RecordingNotifier;
  readonly ssm: SsmClients;
  readonly tagging: TaggingClients;
  readonly owner: string;
  /** Verdict the stub change verifier gives from now on. */
  changeOk: boolean;
  executor: Executor;
  /** Inserts a run for `instanceIds` (located from the fake's fleet) and approves it. */
  readonly approveRun: (
    instanceIds: readonly string[],
    o?: {
      tool?: string;
      action?: string;
      params?: Record<string, unknown>;
      cancelBy?: string;
      /** The rollout policy (default: the action's, as a submission without adjustments gets it; null: none). */
      rollout?: RolloutPolicy | null;
      /** Approved before its change window opens: the run waits (`scheduled`) until this time. */
      scheduledFor?: Date;
      changeNumber?: string;
    },
  ) => Promise<string>;
  readonly waitForRun: (runId: string, statuses?: readonly RunStatus[], timeoutMs?: number) => Promise<RunStatus>;
  readonly close: () => Promise<void>;
};

const FINAL: readonly RunStatus[] = ['succeeded', 'failed', 'partially_failed', 'cancelled'];

export const startHarness = async (o: HarnessOptions): Promise<Harness> => {
  const aws =
    o.sharing?.aws ??
    (await startFakeAws({
      partitions: BASE_CREDENTIALS,
      accounts: Object.values(ACCOUNTS).map((a) => ({
        id: a.id,
        partition: a.partition,
        roleArn: a.roleArn,
        ...('externalId' in a ? { externalId: a.externalId } : {}),
      })),
      instances: o.instances,
      deliveryMs: 20,
      defaultRunMs: 100,
      ...o.aws,
    }));
  const db = o.sharing?.db ?? (await createTestDatabase());
  const loaded = await loadRegistry();
  const registry: ToolRegistry = o.actions
    ? {
        ...loaded,
        action: (tool, action) => {
          const a = loaded.action(tool, action);
          return a && o.actions ? o.actions(a) : a;
        },
      }
    : loaded;
  await upsertScripts(
    db.pool,
    loaded.tools.flatMap((t) => t.actions.map(scriptRecordOf)),
  );
  await db.pool.query(sql.type(z.object({}))`insert into changes (number, state) values (${CHANGE}, '-1') on conflict do nothing`);

  const broker = createCredentialBroker({
    targets: TARGETS,
    endpoint: aws.url,
    baseCredentials: { aws: async () => BASE_CREDENTIALS.aws, 'aws-us-gov': async () => BASE_CREDENTIALS['aws-us-gov'] },
  });
  const ssm = createSsmClients(broker, { endpoint: aws.url, ...(o.readerMaxAttempts ? { readerMaxAttempts: o.readerMaxAttempts } : {}) });
  const tagging = createTaggingClients(broker, { endpoint: aws.url });
  const notifier = recordingNotifier();
  const owner = `test:${process.pid}:${randomUUID().slice(0, 8)}`;
  const fleet = new Map(o.instances.map((i) => [i.instanceId, i]));
  const accounts = new Map(TARGETS.accounts.map((a) => [a.id, a]));

  const harness: Harness = {
    aws,
    db,
    registry,
    notifier,
    ssm,
    tagging,
    owner,
    changeOk: true,
    executor: undefined as unknown as Executor,
    approveRun: async (instanceIds, r = {}) => {
      const action = registry.action(r.tool ?? 'qc-prep', r.action ?? 'initial-qc');
      if (!action) throw new Error('no such action');
      const params = action.params.parse(r.params ?? {}) as Record<string, unknown>;
      const located: ExecutionTarget[] = instanceIds.map((id) => {
        const i = fleet.get(id);
        const account = i && accounts.get(i.accountId);
        if (!i || !account) throw new Error(`${id} is not in the fake fleet`);
        return { instanceId: id, accountId: i.accountId, region: i.region, partition: account.partition };
      });
      const chosen = chooseRollout(action.rollout, {}, located.length);
      const rollout = r.rollout !== undefined ? r.rollout : chosen.ok ? chosen.policy : null;
      const waves = rollout ? assignWaves(located, rollout) : null;
      const targets = located.map((t) => ({ ...t, wave: waves?.get(t.instanceId) ?? null }));
      const id = randomUUID();
      const changeNumber = r.changeNumber ?? CHANGE;
      await db.pool.query(
        sql.type(z.object({}))`insert into changes (number, state) values (${changeNumber}, '-1') on conflict do nothing`,
      );
      await db.pool.transaction(async (tx) => {
        await insertRun(tx, {
          id,
          tool: action.toolId,
          action: action.id,
          params,
          scriptSha256: action.scriptSha256,
          requesterId: 'U0REQUESTER',
          channelId: 'C0OPSCHAN',
          approvalChannelId: 'C0APPROVALS',
          changeNumber,
          planDigest: planDigest({
            tool: action.toolId,
            action: action.id,
            scriptSha256: action.scriptSha256,
            params,
            changeNumber,
            targets,
            rollout,
          }),
          approvalsRequired: 1,
          mutates: action.mutates,
          targetCount: targets.length,
          correlationId: randomUUID(),
          approvalExpiresAt: new Date(Date.now() + 3_600_000),
          rollout,
        });
        await insertExecutions(tx, id, action.scriptSha256, targets);
        await transitionRun(
          tx,
          id,
          ['pending_approval'],
          r.scheduledFor ? 'scheduled' : 'approved',
          r.scheduledFor ? { scheduledFor: r.scheduledFor } : {},
        );
        if (r.cancelBy) await tx.query(sql.type(z.object({}))`update runs set cancel_requested_by = ${r.cancelBy} where id = ${id}`);
      });
      harness.executor.wake();
      return id;
    },
    waitForRun: async (runId, statuses = FINAL, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
        if (statuses.includes(status as RunStatus)) return status as RunStatus;
        if (Date.now() > deadline) throw new Error(`run ${runId} is ${status}, not ${statuses.join('/')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: async () => {
      await harness.executor.stop();
      ssm.destroy();
      tagging.destroy();
      broker.destroy();
      if (o.sharing) return;
      await aws.close();
      await db.drop();
    },
  };

  const changes: ChangeVerifier = o.changes?.(db.pool) ?? {
    verify: async (number) =>
      harness.changeOk
        ? { ok: true, change: { number, state: '-1' } as unknown as ServiceNowChange }
        : refuse('change_closed', `${number} is closed`),
  };
  harness.executor = createExecutor({
    pool: db.pool,
    registry,
    ssm,
    accounts,
    notifier: o.notifier ? o.notifier(notifier) : notifier,
    changes,
    owner,
    logger: o.logger ?? pino({ level: process.env.EXECUTOR_TEST_LOG ?? 'silent' }),
    queues: createWorkQueues({ global: 10, perRegion: 4, baseBackoffMs: 50, maxBackoffMs: 500, ...o.limits }),
    settings: {
      pollIntervalMs: 50,
      pollMaxIntervalMs: 150,
      detailRefreshMs: 60_000,
      tickMs: 50,
      leaseSeconds: 5,
      reconcileGraceMs: 500,
      maxActiveRuns: 50,
      deadlineMarginMs: 60_000,
      cancelWaitMs: 10_000,
      ...o.settings,
    },
  });
  harness.executor.start();
  return harness;
};

/** Rows of a run's executions, for assertions. */
export const executionsOf = async (h: Harness, runId: string) =>
  h.db.pool.any(sql.type(
    z.object({
      instance_id: z.string(),
      status: z.string(),
      ssm_status: z.string().nullable(),
      status_details: z.string().nullable(),
      stdout: z.string().nullable(),
      stdout_truncated: z.boolean(),
      command_id: z.string().nullable(),
      output_location: z.unknown().nullable(),
    }),
  )`
    select instance_id, status, ssm_status, status_details, stdout, stdout_truncated, command_id, output_location
    from executions where run_id = ${runId} order by instance_id`);

/** The fake's commands sent for a run (by the Comment the executor puts on each). */
export const commandsOf = (h: Harness, runId: string) => h.aws.commands().filter((c) => c.comment.includes(runId));
