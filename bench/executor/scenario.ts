// One benchmark scenario in its own process (in the bot's worker thread, as src/start.js runs the bot, unless
// `--thread main`) (so peak RSS is the executor's, not the fakes'): inserts a
// run for N instances through the product's query functions, then, on the parent's signal, approves it
// and drives it to the final summary with the product executor or the baseline. Reports over IPC.
import { WebClient } from '@slack/web-api';
import { randomUUID } from 'node:crypto';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import { createCredentialBroker } from '../../src/aws/credentialBroker.ts';
import { createSsmClients } from '../../src/aws/ssmClients.ts';
import type { ChangeVerifier } from '../../src/changes/changeVerifier.ts';
import type { ServiceNowChange } from '../../src/changes/serviceNowClient.ts';
import { planDigest } from '../../src/domain/planDigest.ts';
import type { RunNotifier } from '../../src/domain/runNotifier.ts';
import { countExecutionsByStatus, insertExecutions } from '../../src/db/queries/executions.ts';
import { getRun, insertRun, setRunMessage, transitionRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { createExecutor } from '../../src/executor/createExecutor.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { createOutbox } from '../../src/outbox/createOutbox.ts';
import { createSender } from '../../src/slack/sender.ts';
import { createSlackRunNotifier } from '../../src/slack/slackRunNotifier.ts';
import { buildCommands } from '../../src/tools/buildCommands.ts';
import { scriptRecordOf } from '../../src/tools/scriptRecordOf.ts';
import { loadRegistry } from '../../src/tools/registry.ts';
import { runBaseline } from './baseline.ts';
import { createCountingPool } from './countingPool.ts';
import { BASE_CREDENTIALS, benchFleet, TARGETS } from './fleet.ts';

export type ScenarioInput = {
  readonly mode: 'product' | 'baseline';
  readonly n: number;
  readonly databaseUrl: string;
  readonly awsUrl: string;
  readonly slackUrl: string;
  readonly slackToken: string;
  readonly pollIntervalMs: number;
  readonly pollMaxIntervalMs: number;
};

export type ScenarioResult = {
  readonly wallMs: number;
  readonly dbRoundTrips: number;
  /**
   * Round trips per poll round of the product executor: the first (planning, dispatch, first poll),
   * the ones in between, and the last (collection, finish, summary). Empty for the baseline.
   */
  readonly perRound: readonly number[];
  readonly pollRounds: number;
  /** Highest RSS sampled (every 20 ms) from approval to the final summary. */
  readonly peakRssMb: number;
  /** The process's maximum RSS over its whole life, setup (inserting the run) included. */
  readonly lifetimeMaxRssMb: number;
  readonly succeeded: number;
};

const CHANNEL = 'C0BENCH001';

const input = JSON.parse(process.env.BENCH_SCENARIO ?? '{}') as ScenarioInput;
// The parent's messages come over IPC, or through scenarioThread.ts when this runs in the bot's thread.
const channel = parentPort ?? process;
const send = (message: unknown): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
};
const waitFor = (kind: string): Promise<void> =>
  new Promise((resolve) => {
    const on = (m: { kind?: string }): void => {
      if (m.kind === kind) {
        channel.off('message', on);
        resolve();
      }
    };
    channel.on('message', on);
  });

const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
const { pool, roundTrips, roundMarks } = await createCountingPool(input.databaseUrl);
const registry = await loadRegistry();
const action = registry.action('qc-prep', 'initial-qc');
if (!action) throw new Error('qc-prep/initial-qc is missing');
await upsertScripts(pool, [scriptRecordOf(action)]);
await pool.query(sql.type(z.object({}))`insert into changes (number, state) values ('CHG0012345', '-1') on conflict do nothing`);

const accounts = new Map(TARGETS.accounts.map((a) => [a.id, a]));
const fleet = benchFleet(input.n);
const runId = randomUUID();
const params = action.params.parse({}) as Record<string, unknown>;
// The executor recomputes the digest before dispatch: the run carries the real one.
const digest = planDigest({
  tool: action.toolId,
  action: action.id,
  scriptSha256: action.scriptSha256,
  params,
  changeNumber: 'CHG0012345',
  targets: fleet,
});
await pool.transaction(async (tx) => {
  await insertRun(tx, {
    id: runId,
    tool: action.toolId,
    action: action.id,
    params,
    scriptSha256: action.scriptSha256,
    requesterId: 'U0REQUESTER',
    channelId: CHANNEL,
    approvalChannelId: 'C0APPROVALS',
    changeNumber: 'CHG0012345',
    planDigest: digest,
    approvalsRequired: 1,
    mutates: false,
    targetCount: fleet.length,
    correlationId: randomUUID(),
    approvalExpiresAt: new Date(Date.now() + 3_600_000),
  });
  await insertExecutions(
    tx,
    runId,
    action.scriptSha256,
    fleet.map((i) => ({
      instanceId: i.instanceId,
      accountId: i.accountId,
      region: i.region,
      partition: accounts.get(i.accountId)?.partition ?? 'aws',
    })),
  );
});

const broker = createCredentialBroker({
  targets: TARGETS,
  endpoint: input.awsUrl,
  baseCredentials: { aws: async () => BASE_CREDENTIALS.aws, 'aws-us-gov': async () => BASE_CREDENTIALS['aws-us-gov'] },
});
const ssm = createSsmClients(broker, { endpoint: input.awsUrl });
const slack = new WebClient(input.slackToken, { slackApiUrl: input.slackUrl, retryConfig: { retries: 0 } });
const sender = createSender(slack, logger);
const outbox = createOutbox({ pool, client: slack, registry, logger });
let finished: () => void = () => {};
const done = new Promise<void>((resolve) => {
  finished = resolve;
});
const slackNotifier = createSlackRunNotifier({ pool, logger, wake: outbox.wake });
const notifier: RunNotifier = {
  ...slackNotifier,
  runFinished: async (...args) => {
    await slackNotifier.runFinished(...args);
    await outbox.drain();
    finished();
  },
};
// The parent message of the run's thread, as the Slack side posts it at submission.
const parentTs = await sender.post(CHANNEL, { text: `Run ${runId}` });
if (parentTs) await setRunMessage(pool, runId, CHANNEL, parentTs);

const changes: ChangeVerifier = { verify: async (number) => ({ ok: true, change: { number } as unknown as ServiceNowChange }) };
const executor = createExecutor({
  pool,
  registry,
  ssm,
  accounts,
  notifier,
  changes,
  logger,
  owner: `bench:${process.pid}`,
  queues: createWorkQueues({ global: 10, perRegion: 4 }),
  settings: {
    pollIntervalMs: input.pollIntervalMs,
    pollMaxIntervalMs: input.pollMaxIntervalMs,
    detailRefreshMs: 60_000,
    tickMs: 1_000,
    leaseSeconds: 30,
    reconcileGraceMs: 60_000,
    maxActiveRuns: 50,
  },
});
if (input.mode === 'product') executor.start();
outbox.start();

send({ kind: 'ready' });
await waitFor('go');

// Peak RSS while the run is driven, sampled (the process's lifetime maximum also counts the setup).
let runPeakRss = process.memoryUsage.rss();
// BENCH_TRACE=1: a memory timeline on stderr (where the peak comes from).
const trace = process.env.BENCH_TRACE === '1';
let lastTrace = 0;
const sampler = setInterval(() => {
  runPeakRss = Math.max(runPeakRss, process.memoryUsage.rss());
  if (trace && Date.now() - lastTrace >= 250) {
    lastTrace = Date.now();
    const m = process.memoryUsage();
    const mb = (b: number) => Math.round(b / 2 ** 20);
    // Committed size of each V8 space (young generation: new_space; promoted objects: old_space).
    const spaces = getHeapSpaceStatistics()
      .filter((s) => s.space_size >= 2 ** 20)
      .map((s) => `${s.space_name.replace(/_space$/u, '')}=${mb(s.space_size)}/${mb(s.space_used_size)}`)
      .join(' ');
    process.stderr.write(
      `t=${((Date.now() - startedAt) / 1000).toFixed(2)}s rss=${mb(m.rss)} heapUsed=${mb(m.heapUsed)} heapTotal=${mb(m.heapTotal)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} ${spaces} trips=${roundTrips()}\n`,
    );
  }
}, 20);
const startedAt = Date.now();
// BENCH_SNAPSHOT_AT=2.5,20: heap snapshots at these seconds into the run (what the live heap holds then).
for (const at of (process.env.BENCH_SNAPSHOT_AT ?? '').split(',').filter(Boolean))
  setTimeout(() => process.stderr.write(`heap snapshot: ${writeHeapSnapshot()}\n`), Number(at) * 1000).unref();
const tripsBefore = roundTrips();
let pollRounds: number;
if (input.mode === 'product') {
  // What the decider does on the final approval: the guarded transition, then wake the executor.
  await transitionRun(pool, runId, ['pending_approval'], 'approved');
  executor.wake();
  await done;
  pollRounds = (await getRun(pool, runId))?.poll_round ?? 0;
} else {
  await transitionRun(pool, runId, ['pending_approval'], 'approved');
  const run = await getRun(pool, runId);
  if (!run) throw new Error('run vanished');
  const commands = buildCommands({ action, params, context: { runId, changeNumber: 'CHG0012345', settings: action.toolSettings } });
  pollRounds = await runBaseline({ pool, ssm, accounts, notifier, run, commands, pollIntervalMs: input.pollIntervalMs });
  await done;
}
const wallMs = Date.now() - startedAt;
clearInterval(sampler);
const dbRoundTrips = roundTrips() - tripsBefore;
const succeeded = (await countExecutionsByStatus(pool, runId)).success ?? 0;
const bounds = input.mode === 'product' ? [tripsBefore, ...roundMarks().filter((m) => m > tripsBefore), roundTrips()] : [];
const perRound = bounds.slice(1).map((m, i) => m - (bounds[i] ?? 0));
const result: ScenarioResult = {
  wallMs,
  dbRoundTrips,
  perRound,
  pollRounds,
  succeeded,
  peakRssMb: Math.round(Math.max(runPeakRss, process.memoryUsage.rss()) / 2 ** 20),
  lifetimeMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
send({ kind: 'result', result });

await executor.stop();
await outbox.stop();
ssm.destroy();
broker.destroy();
await pool.end();
process.exit(0);
