// Composition root: config → logger → database → clients → executor → Slack app; and shutdown. src/start.js runs it
// in the bot's worker thread (bounded young generation); run directly, it handles the stop signals itself.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, resourceLimits } from 'node:worker_threads';
import { createCredentialBroker } from './aws/credentialBroker.ts';
import { createTargetResolver } from './inventory/resolveTargets.ts';
import { createInventorySyncRequest } from './inventory/requestSync.ts';
import { syncInventory } from './inventory/syncInventory.ts';
import { createSsmClients } from './aws/ssmClients.ts';
import { createTaggingClients } from './aws/taggingClients.ts';
import { createChangeVerifier } from './changes/changeVerifier.ts';
import { countedFetch } from './changes/countedFetch.ts';
import { createServiceNowClient } from './changes/serviceNowClient.ts';
import { createWorkNoteNotifier } from './changes/workNoteNotifier.ts';
import { createWorkNoteWriter } from './changes/workNoteWriter.ts';
import { loadConfig } from './config/loadConfig.ts';
import { checkRuntimeDatabase } from './db/checkRuntimeDatabase.ts';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded.ts';
import { EmbeddedStartError } from './db/embeddedStartError.ts';
import { migrate } from './db/migrate.ts';
import { pendingMigrations } from './db/pendingMigrations.ts';
import { createPool } from './db/pool.ts';
import { provisionRuntimeRole } from './db/provisionRuntimeRole.ts';
import { countActiveExecutionsByStatus, countRunsByStatus, pingDatabase, readInventoryAges } from './db/queries/metrics.ts';
import { upsertScripts } from './db/queries/scripts.ts';
import { DatabaseSettingsError, describeDatabase, waitForDatabase } from './db/waitForDatabase.ts';
import { combineNotifiers } from './notify/combineNotifiers.ts';
import { createCredentialChecker } from './aws/checkCredentials.ts';
import { createCredentialMonitor } from './credentials/createCredentialMonitor.ts';
import { createPeriodicJobs } from './jobs/createPeriodicJobs.ts';
import { runRetention } from './retention/runRetention.ts';
import { oweCredentialTransition } from './slack/oweCredentialTransition.ts';
import { createExecutor } from './executor/createExecutor.ts';
import { createWorkQueues } from './executor/workQueues.ts';
import { healthRoutes } from './http/healthRoutes.ts';
import { createMetricsRegistry } from './http/metricsRegistry.ts';
import { cachedCheck, createReadiness } from './http/readiness.ts';
import { createLogger } from './logger.ts';
import { configuredSecrets } from './logging/configuredSecrets.ts';
import { createSecretScrubber } from './logging/secretScrubber.ts';
import { createOutbox, SLACK_CALL_TIMEOUT_MS } from './outbox/createOutbox.ts';
import { outboxStuck } from './outbox/outboxStuck.ts';
import { createRunCanceller } from './runs/cancelRun.ts';
import { createRunContinuer } from './runs/continueRun.ts';
import { createRunStopper } from './runs/stopRun.ts';
import { createRunDecider } from './runs/decideRun.ts';
import { createRequestGate } from './runs/requestGate.ts';
import { createRunAccess } from './runs/runAccess.ts';
import { createRunSubmitter } from './runs/submitRun.ts';
import { createFreezeSwitch } from './runs/switchFreeze.ts';
import { createApproverDirectory } from './slack/approverDirectory.ts';
import { boltLogger } from './slack/boltLogger.ts';
import { createObservedWebClient } from './slack/createObservedWebClient.ts';
import { createSlackApp, type BotIdentity } from './slack/createSlackApp.ts';
import { createTargetFileReader } from './slack/readTargetFile.ts';
import { buildManifest } from './slack/manifest/buildManifest.ts';
import { createSender } from './slack/sender.ts';
import { createSlackLinks } from './slack/slackLinks.ts';
import { createSlackRunNotifier } from './slack/slackRunNotifier.ts';
import { scriptRecordOf } from './tools/scriptRecordOf.ts';
import { loadRegistry } from './tools/registry.ts';
import { onStopSignal } from './process/onStopSignal.ts';
import { envSchema } from './config/envSchema.ts';
import { CONSOLE_KEEPS, SLACK_SETTINGS, wantsConsole } from './sandbox/console/wantsConsole.ts';

// No Slack settings: the local console (simulated Slack, AWS, ServiceNow and hosts, and a page that drives
// the bot) instead of the real bot. Its settings go into the environment, so the rest is the same code.
const startConsole = async () => {
  const { ConsoleStartError, startConsole: start } = await import('./sandbox/console/startConsole.ts');
  try {
    return await start(process.env);
  } catch (error) {
    if (!(error instanceof ConsoleStartError)) throw error;
    process.stderr.write(`pcm-ops-bot: the local console cannot start: ${error.message}\n`);
    process.exit(1);
  }
};
const consoleMode = wantsConsole(process.env) ? await startConsole() : undefined;
if (consoleMode) {
  // Only the console's settings (and where to listen, keep data and how much to log): never a real database or service.
  for (const key of Object.keys(envSchema.shape)) if (!CONSOLE_KEEPS.has(key)) delete process.env[key];
  Object.assign(process.env, consoleMode.env);
}

const loaded = await loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`pcm-ops-bot cannot start; fix these settings:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
const config = loaded.config;
// Every configured secret (and each OAuth token ServiceNow issues) is scrubbed from every log line.
const secrets = createSecretScrubber(configuredSecrets(config, process.env));
const logger = createLogger(config.LOG_LEVEL, secrets);
// /metrics: parts get `metricsRegistry.metrics` (a small interface); gauges read at scrape time are added below.
const metricsRegistry = createMetricsRegistry();
const metrics = metricsRegistry.metrics;

let embedded: EmbeddedDatabase | undefined;
let databaseUrl = config.DATABASE_URL;
if (!databaseUrl) {
  try {
    embedded = await startEmbeddedDatabase(config.DATA_DIR, config.EMBEDDED_DB_PORT, (message, dirs) => logger.warn({ dirs }, message));
  } catch (error) {
    // PostgreSQL's own lines say why (a port in use, a bad setting, a damaged data directory).
    const why =
      error instanceof EmbeddedStartError
        ? { reason: error.message, dataDir: error.dataDir, postgres: error.postgresLog }
        : { err: error, dataDir: config.DATA_DIR };
    logger.fatal(why, 'the embedded PostgreSQL could not start; set DATABASE_URL or fix DATA_DIR');
    process.exit(1);
  }
  databaseUrl = embedded.url;
  logger.info(
    { dataDir: config.DATA_DIR, port: config.EMBEDDED_DB_PORT },
    'DATABASE_URL is not set: using an embedded PostgreSQL (data kept in DATA_DIR); set DATABASE_URL in production',
  );
}
// The owner migrates; the bot itself runs as a role that can only append to the audit trail (issue 8).
const migrationUrl = embedded?.url ?? config.DATABASE_MIGRATION_URL;
if (!embedded) {
  // A database still starting (or briefly away) is waited for, one line per attempt; a settings mistake is a clear exit.
  try {
    for (const url of new Set([migrationUrl, databaseUrl].filter((u): u is string => Boolean(u)))) {
      await waitForDatabase(url, {
        onRetry: (attempt, reason, retryInMs) =>
          logger.warn({ attempt, reason, retryInSeconds: retryInMs / 1000 }, 'database not reachable yet; retrying'),
      });
    }
  } catch (error) {
    if (!(error instanceof DatabaseSettingsError)) throw error;
    logger.fatal({ reason: error.message }, 'pcm-ops-bot cannot use the database; fix DATABASE_URL / DATABASE_MIGRATION_URL');
    process.exit(1);
  }
  logger.info({ database: describeDatabase(databaseUrl) }, 'database reachable');
}
if (migrationUrl) {
  const applied = await migrate(migrationUrl);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
}
if (embedded) databaseUrl = await provisionRuntimeRole(embedded.url, config.DATA_DIR);
const pool = await createPool(databaseUrl);
const databaseProblems = await checkRuntimeDatabase(pool);
if (databaseProblems.length > 0) {
  logger.fatal(
    { problems: databaseProblems },
    `pcm-ops-bot refuses to start on this database:\n${databaseProblems.map((p) => `  - ${p}`).join('\n')}`,
  );
  await pool.end();
  await embedded?.stop();
  process.exit(1);
}

const registry = await loadRegistry();
await upsertScripts(
  pool,
  registry.tools.flatMap((t) => t.actions.map(scriptRecordOf)),
);
logger.info({ tools: registry.tools.map((t) => `${t.command} (${t.actions.length} actions)`) }, 'tools loaded');

const broker = createCredentialBroker({ targets: config.targets, metrics });
const ssm = createSsmClients(broker, { metrics });
// The inventory's tags (GetResources): same assumed roles, per-region bound and metrics as SSM.
const tagging = createTaggingClients(broker, { metrics });
const accounts = new Map(config.targets.accounts.map((a) => [a.id, a]));
const serviceNow = createServiceNowClient({
  url: config.SERVICENOW_URL,
  // OAuth client credentials when configured, else basic auth (the schema requires one of the two).
  auth:
    config.SERVICENOW_CLIENT_ID && config.SERVICENOW_CLIENT_SECRET
      ? { kind: 'oauth', clientId: config.SERVICENOW_CLIENT_ID, clientSecret: config.SERVICENOW_CLIENT_SECRET }
      : { kind: 'basic', user: config.SERVICENOW_USER ?? '', password: config.SERVICENOW_PASSWORD ?? '' },
  timeoutMs: config.SERVICENOW_TIMEOUT_MS,
  registerSecret: secrets.add,
  fetch: countedFetch(metrics.serviceNowCall),
});
const changes = createChangeVerifier({
  client: serviceNow,
  pool,
  rules: {
    allowedStates: config.CHANGE_ALLOWED_STATES,
    graceMinutes: config.CHANGE_WINDOW_GRACE_MINUTES,
    requiredAssignmentGroups: config.CHANGE_ASSIGNMENT_GROUPS,
    requireCiCoverage: config.CHANGE_REQUIRE_CI_COVERAGE,
  },
});
const slack = createObservedWebClient(
  config.SLACK_BOT_TOKEN,
  {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    retryConfig: { retries: 5, factor: 2, minTimeout: 500 },
    logger: boltLogger(logger, 'slack-web-api'),
  },
  metrics,
);
const sender = createSender(slack, logger);
// Owed messages (issue 11) go through the outbox: its own client neither retries nor waits out 429s,
// because the outbox does both durably (rows in the database, any replica, however long Slack is away).
const outbox = createOutbox({
  pool,
  registry,
  logger,
  retryMaxMs: config.SLACK_RETRY_MAX_SECONDS * 1000,
  client: createObservedWebClient(
    config.SLACK_BOT_TOKEN,
    {
      ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: SLACK_CALL_TIMEOUT_MS,
      logger: boltLogger(logger, 'slack-web-api'),
    },
    metrics,
  ),
});
for (const setting of ['TOOL_APPROVER_GROUPS', 'TOOL_REQUESTER_GROUPS', 'TOOL_ALLOWED_CHANNELS'] as const) {
  const unknownTools = Object.keys(config[setting]).filter((id) => !registry.byId(id));
  if (unknownTools.length > 0) {
    logger.fatal({ unknownTools, tools: registry.tools.map((t) => t.id) }, `${setting} names tools that do not exist; fix the tool ids`);
    process.exit(1);
  }
}
if (config.SECOND_APPROVAL === 'off') {
  logger.warn(
    'SECOND_APPROVAL=off: mutating actions run after a single approval; set SECOND_APPROVAL=mutating (the default) to require a second, different approver',
  );
}
const approvers = createApproverDirectory({
  client: slack,
  userIds: config.APPROVER_USER_IDS,
  usergroupId: config.APPROVER_USERGROUP_ID,
  toolApprovers: config.TOOL_APPROVER_GROUPS,
  toolRequesters: config.TOOL_REQUESTER_GROUPS,
  logger,
});
const requestGate = createRequestGate({
  pool,
  registry,
  requestersFor: approvers.requestersFor,
  allowedChannels: config.TOOL_ALLOWED_CHANNELS,
});
// ServiceNow work notes: the notifier queues them (never blocks a run), the writer sends and retries.
const workNotes = createWorkNoteWriter({ pool, client: serviceNow, registry, links: createSlackLinks(slack), logger });
const notifier = combineNotifiers(
  createSlackRunNotifier({ pool, logger, wake: outbox.wake }),
  createWorkNoteNotifier({ pool, logger, onQueued: () => workNotes.wake() }),
);

// One bound on SSM work for the executor and the inventory (per account+region and global).
const queues = createWorkQueues({ global: config.MAX_CONCURRENT_EXECUTIONS, perRegion: config.MAX_CONCURRENT_PER_REGION });
const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
const executor = createExecutor({
  pool,
  registry,
  ssm,
  accounts,
  notifier,
  changes,
  logger: logger.child({ component: 'executor' }),
  owner,
  queues,
  metrics,
  settings: {
    pollIntervalMs: config.POLL_INTERVAL_MS,
    pollMaxIntervalMs: config.POLL_MAX_INTERVAL_MS,
    tickMs: config.EXECUTOR_TICK_MS,
    leaseSeconds: config.LEASE_SECONDS,
    reconcileGraceMs: config.RECONCILE_GRACE_SECONDS * 1000,
    detailRefreshMs: config.POLL_DETAIL_INTERVAL_SECONDS * 1000,
    maxActiveRuns: config.MAX_ACTIVE_RUNS,
    scheduleCheckMs: config.SCHEDULED_CHECK_SECONDS * 1000,
  },
});

const credentials = createCredentialMonitor({
  pool,
  accounts: config.targets.accounts,
  logger: logger.child({ component: 'credentials' }),
  checker: createCredentialChecker({
    targets: config.targets,
    broker,
    timeoutMs: config.CREDENTIAL_CHECK_TIMEOUT_MS,
    bound: (accountId, region, task) => queues.run({ runId: 'credential-check', accountId, region }, task),
  }),
  onPartitionTransition: (t, tx) => oweCredentialTransition(tx, config.APPROVAL_CHANNEL_ID, t),
  onQueued: () => outbox.wake(),
  onChecked: (checks) => {
    for (const c of checks) if (c.health === 'failing') metrics.credentialCheckFailed(c.kind, c.errorKind ?? 'error');
  },
});

const submitter = createRunSubmitter({
  pool,
  registry,
  changes,
  approvalChannelId: config.APPROVAL_CHANNEL_ID,
  approvalTtlMinutes: config.APPROVAL_TTL_MINUTES,
  secondApproval: config.SECOND_APPROVAL,
  gate: requestGate,
  submitRatePerMinute: config.SUBMIT_RATE_PER_MINUTE,
  credentialRefusal: credentials.refusalFor,
  accountIds: config.targets.accounts.map((a) => a.id),
  resolver: createTargetResolver({ pool, targets: config.targets, ssm, bound: queues, cacheMinutes: config.INVENTORY_TTL_MINUTES }),
});
const inventory = createInventorySyncRequest({
  pool,
  adminIds: config.ADMIN_USER_IDS,
  approvers: approvers.members,
  syncAll: async (requesterId) => syncInventory({ pool, targets: config.targets, ssm, tagging, bound: queues, requesterId }),
});
const decider = createRunDecider({ pool, changes, approversFor: approvers.forTool, onApproved: () => executor.wake() });
const canceller = createRunCanceller({ pool, approversFor: approvers.forTool, onCancelRequested: (runId) => executor.nudge(runId) });
const continuer = createRunContinuer({ pool, approversFor: approvers.forTool, onContinued: () => executor.wake() });
const stopper = createRunStopper({ pool, approversFor: approvers.forTool });
const freezer = createFreezeSwitch({ pool, adminIds: config.ADMIN_USER_IDS, approvalChannelId: config.APPROVAL_CHANNEL_ID });
const runAccess = createRunAccess({ pool, registry, approversFor: approvers.forTool, adminIds: config.ADMIN_USER_IDS });

// Periodic background work, one mechanism for all (periodic_jobs: each due run goes to exactly one replica).
const backgroundJobs = createPeriodicJobs({
  pool,
  owner,
  logger: logger.child({ component: 'jobs' }),
  jobs: [
    // At start and every CREDENTIAL_CHECK_MINUTES.
    {
      name: 'credential-checks',
      intervalMs: config.CREDENTIAL_CHECK_MINUTES * 60_000,
      runAtStart: true,
      run: async () => {
        await credentials.checkNow();
      },
    },
    ...(config.INVENTORY_SYNC_MINUTES > 0
      ? [
          {
            name: 'inventory-sync',
            intervalMs: config.INVENTORY_SYNC_MINUTES * 60_000,
            // A new deployment (or the console, whose database is new at each start) syncs at once: the picker and
            // the pre-flight need the inventory. A restart keeps the schedule (the job's row already exists).
            runAtStart: true,
            run: async () => {
              const results = await syncInventory({ pool, targets: config.targets, ssm, tagging, bound: queues });
              const failed = results.filter((r) => !r.ok);
              const tagsFailed = results.filter((r) => !r.tags.ok);
              if (failed.length > 0 || tagsFailed.length > 0)
                logger.warn(
                  { failed: failed.length, tagsFailed: tagsFailed.length, scopes: results.length },
                  'inventory sync: some account/regions kept their last good data (ids or tags)',
                );
            },
          },
        ]
      : []),
    ...(config.OUTPUT_RETENTION_DAYS > 0 || config.INSTANCE_RETENTION_DAYS > 0
      ? [
          {
            name: 'retention',
            intervalMs: 60 * 60_000,
            run: async (signal: AbortSignal) => {
              const report = await runRetention(
                pool,
                {
                  outputRetentionDays: config.OUTPUT_RETENTION_DAYS,
                  instanceRetentionDays: config.INSTANCE_RETENTION_DAYS,
                  batchSize: config.RETENTION_BATCH_SIZE,
                },
                signal,
              );
              if (report.outputPruned > 0 || report.instancesDeleted > 0) logger.info(report, 'retention: old output and inventory pruned');
            },
          },
        ]
      : []),
  ],
});

let identity: BotIdentity | undefined;
const learnIdentity = async (): Promise<BotIdentity> => {
  if (identity) return identity;
  const auth = await slack.auth.test();
  if (!auth.bot_id || !auth.user_id || !auth.team_id)
    throw new Error('auth.test did not return a bot identity; is SLACK_BOT_TOKEN a bot token?');
  identity = { botId: auth.bot_id, botUserId: auth.user_id, teamId: auth.team_id };
  return identity;
};

// /readyz: each check answers now (cached briefly).
const readiness = createReadiness([
  cachedCheck('database', 2_000, () => pingDatabase(pool)),
  cachedCheck('migrations', 30_000, async () => (await pendingMigrations(pool))?.length === 0),
  { name: 'slack', check: () => identity !== undefined },
  // Owed Slack messages that nobody has been able to deliver for OUTBOX_STUCK_SECONDS (any replica).
  cachedCheck('outbox', 5_000, async () => {
    const reason = outboxStuck(await outbox.backlog(), config.OUTBOX_STUCK_SECONDS);
    return reason ? { reason } : true;
  }),
]);
// Gauges read at scrape time; a failed read (database down) leaves that gauge empty for the scrape.
metricsRegistry.addGauge('runs', 'Runs by status', ['status'], async () =>
  (await countRunsByStatus(pool)).map((r) => ({ labels: { status: r.status }, value: r.n })),
);
metricsRegistry.addGauge('active_executions', 'Executions of approved or running runs, by status', ['status'], async () =>
  (await countActiveExecutionsByStatus(pool)).map((r) => ({ labels: { status: r.status }, value: r.n })),
);
metricsRegistry.addGauge('ssm_queue_depth', 'SSM calls of this replica waiting for a slot or running', ['state'], () => {
  const depth = queues.depth();
  return [
    { labels: { state: 'waiting' }, value: depth.waiting },
    { labels: { state: 'running' }, value: depth.running },
  ];
});
// 1 while a scope's credentials work (ok or expiring soon), 0 while its checks fail; read from the shared record.
metricsRegistry.addGauge(
  'credential_ok',
  'Credential status per partition (base credentials) and account (role): 1 ok, 0 failing',
  ['scope', 'id', 'partition'],
  async () =>
    (await credentials.status()).map((s) => ({
      labels: { scope: s.kind, id: s.id, partition: s.partition },
      value: s.health === 'failing' ? 0 : 1,
    })),
);
metricsRegistry.addGauge('outbox_pending', 'Slack messages owed and not yet delivered (all replicas)', [], async () => [
  { labels: {}, value: (await outbox.backlog()).pending },
]);
metricsRegistry.addGauge('outbox_oldest_seconds', 'Age of the oldest undelivered Slack message', [], async () => [
  { labels: {}, value: (await outbox.backlog()).oldestSeconds ?? 0 },
]);
// +Inf for a scope never synced successfully, so an alert on age catches it too.
metricsRegistry.addGauge(
  'inventory_age_seconds',
  'Seconds since each account/region inventory last synced successfully (+Inf: never)',
  ['partition', 'account', 'region'],
  async () =>
    (await readInventoryAges(pool)).map((r) => ({
      labels: { partition: r.partition, account: r.account_id, region: r.region },
      value: r.age ?? Number.POSITIVE_INFINITY,
    })),
);
metricsRegistry.addGauge('active_runs', 'Runs this replica drives now', [], () => [{ labels: {}, value: executor.activeRuns().length }]);

const app = createSlackApp(
  config,
  {
    pool,
    registry,
    submitter,
    decider,
    canceller,
    continuer,
    stopper,
    freezer,
    requestGate,
    runAccess,
    approvers,
    sender,
    wakeOutbox: outbox.wake,
    logger,
    approvalChannelId: config.APPROVAL_CHANNEL_ID,
    submitBudgetMs: 2_500,
    inventory,
    credentials,
    adminIds: config.ADMIN_USER_IDS,
    fleet: { accounts: config.targets.accounts, regions: config.targets.accounts.flatMap((a) => a.regions) },
    targetFiles: createTargetFileReader({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL }),
  },
  [
    ...healthRoutes(readiness, metricsRegistry),
    ...(consoleMode?.routes(`http://127.0.0.1:${config.PORT}`, buildManifest(registry, 'http')) ?? []),
  ],
  logger,
  learnIdentity,
);
try {
  // The console is for this machine only; the real bot listens on every interface.
  await (consoleMode ? app.start({ port: config.PORT, host: '127.0.0.1' }) : app.start(config.PORT));
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  logger.fatal(
    { port: config.PORT, code },
    code === 'EADDRINUSE' ? `port ${config.PORT} is in use by another program; stop it or set PORT to a free port` : 'cannot listen',
  );
  await embedded?.stop();
  process.exit(1);
}
executor.start();
workNotes.start();
backgroundJobs.start();
outbox.start();
// The heap limits src/start.js gave the bot's thread (none when main.ts is run directly).
const heapLimitsMb = isMainThread
  ? undefined
  : { youngGeneration: resourceLimits.maxYoungGenerationSizeMb, oldGeneration: resourceLimits.maxOldGenerationSizeMb };
logger.info({ port: config.PORT, mode: config.socketMode ? 'socket' : 'http', owner, heapLimitsMb }, 'listening');
if (consoleMode) {
  if (consoleMode.portMoved) logger.warn(`port ${consoleMode.portMoved.asked} is in use; the console uses port ${config.PORT} instead`);
  logger.warn(
    `local console (no ${SLACK_SETTINGS.slice(0, 2).join(' / ')} set: simulated Slack, AWS, ServiceNow and fleet): open http://localhost:${config.PORT}/console — for the real Slack, copy .env.example to .env and fill it in`,
  );
}

// Readiness waits for Slack to accept the token; retried so a Slack blip at start is not a crash.
void (async () => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const me = await learnIdentity();
      logger.info({ botUserId: me.botUserId }, 'ready');
      return;
    } catch (error) {
      logger.warn({ err: error, attempt }, 'Slack not reachable yet; retrying');
      await sleep(Math.min(30_000, 1_000 * attempt));
    }
  }
})();

/**
 * What must settle, in order, before the connections close at shutdown: the executor first (it stops
 * claiming, lets calls in flight settle and hands its leases back), then what reports on its work.
 * The durable Slack outbox plugs in here ("the outbox settles") before the pool closes. Each gets what
 * is left of SHUTDOWN_GRACE_SECONDS.
 */
type Stoppable = { readonly name: string; readonly stop: (graceMs: number) => Promise<void> };
const stoppables: Stoppable[] = [
  { name: 'background jobs', stop: () => backgroundJobs.stop() },
  { name: 'executor', stop: (graceMs) => executor.stop(graceMs) },
  { name: 'work notes', stop: () => workNotes.stop() },
  // Owed messages stay in the database for the next process; the delivery in flight gets a few seconds.
  { name: 'slack outbox', stop: () => outbox.stop() },
];

let stopping = false;
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000;
  logger.info({ signal, graceSeconds: config.SHUTDOWN_GRACE_SECONDS, activeRuns: executor.activeRuns() }, 'shutting down');
  readiness.stopping();
  // Whatever hangs past the grace (and a margin to close connections) must not keep the process alive.
  setTimeout(() => {
    logger.error('shutdown did not finish within the grace period; exiting');
    process.exit(1);
  }, graceMs + 10_000).unref();
  const deadline = Date.now() + graceMs;
  for (const part of stoppables) {
    try {
      await part.stop(Math.max(0, deadline - Date.now()));
    } catch (error) {
      logger.warn({ err: error, part: part.name }, 'could not stop cleanly');
    }
  }
  await app.stop().catch(() => {});
  broker.destroy();
  ssm.destroy();
  tagging.destroy();
  await pool.end();
  await embedded?.stop();
  await consoleMode?.close();
  logger.info({ signal }, 'stopped');
  process.exit(0);
};
// SIGTERM, SIGINT, and SIGHUP (a closed terminal: shut down and stop the embedded PostgreSQL rather than
// die and leave it running), forwarded by src/start.js when the bot runs in its worker thread.
onStopSignal((signal) => void shutdown(signal));
