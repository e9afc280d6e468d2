import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeInstances, startFakeAws } from '../../src/sandbox/aws/index.ts';
import type { FakeAws, FakeAwsOptions, FakeInstance } from '../../src/sandbox/aws/index.ts';
import { changeInWindow } from '../../src/sandbox/servicenow/changeInWindow.ts';
import type { FakeServiceNowOptions } from '../../src/sandbox/servicenow/fakeServiceNowTypes.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { launchBot, type BotEntry, type LaunchedBot } from './launchBot.ts';
import { createPool } from '../../src/db/pool.ts';
import { freePort } from './freePort.ts';
import { testRuntimeUrl } from './pgAdmin.ts';
import { createTestDatabase, type TestDatabase } from './testDatabase.ts';

// The embedded database belongs to the bot; the sandbox only reads it (and never drops it).
const embeddedHandle = async (url: string): Promise<TestDatabase> => {
  const pool = await createPool(url, { maximumPoolSize: 4 });
  return { url, name: 'pcm_ops', pool, drop: () => pool.end() };
};

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const APPROVAL_CHANNEL = 'C0APPROVALS';
export const OPS_CHANNEL = 'C0OPSCHAN';
export const USERS = {
  requester: 'U0REQUESTER',
  approver: 'U0APPROVER',
  second: 'U0SECONDAPP',
  outsider: 'U0OUTSIDER',
  admin: 'U0ADMINUSR',
} as const;
export const CHANGE = 'CHG0012345';

/** A run's lease lapses in 2 s and the executor looks every 100 ms: crash, takeover and replica tests see it at once. */
export const FAST_TAKEOVER_ENV = {
  LEASE_SECONDS: '2',
  RECONCILE_GRACE_SECONDS: '1',
  POLL_INTERVAL_MS: '100',
  POLL_MAX_INTERVAL_MS: '200',
  EXECUTOR_TICK_MS: '100',
} as const;

export const ACCOUNTS = {
  com: {
    id: '111111111111',
    name: 'prod-com',
    partition: 'aws' as const,
    regions: ['us-east-1', 'us-west-2'],
    roleArn: 'arn:aws:iam::111111111111:role/PcmOpsExecution',
    externalId: 'pcm-ext-1',
  },
  com2: {
    id: '333333333333',
    name: 'stage-com',
    partition: 'aws' as const,
    regions: ['us-east-1'],
    roleArn: 'arn:aws:iam::333333333333:role/PcmOpsExecution',
  },
  gov: {
    id: '222222222222',
    name: 'prod-gov',
    partition: 'aws-us-gov' as const,
    regions: ['us-gov-west-1'],
    roleArn: 'arn:aws-us-gov:iam::222222222222:role/PcmOpsExecution',
  },
};

export const BASE_CREDENTIALS = {
  aws: { accessKeyId: 'AKIACOMMERCIALBASE01', secretAccessKey: 'commercial-base-secret' },
  'aws-us-gov': { accessKeyId: 'AKIAGOVCLOUDBASE0001', secretAccessKey: 'govcloud-base-secret' },
};

export type Sandbox = {
  readonly aws: FakeAws;
  readonly slack: FakeSlack;
  readonly serviceNow: FakeServiceNow;
  readonly db: TestDatabase;
  readonly dir: string;
  readonly env: Record<string, string>;
  bot: LaunchedBot;
  readonly restart: (extraEnv?: Record<string, string>) => Promise<LaunchedBot>;
  readonly close: () => Promise<void>;
};

export type SandboxOptions = {
  readonly instances?: FakeInstance[];
  /** `test` (default): a fresh database on the test server. `embedded`: the bot's own embedded PostgreSQL in `dataDir`. */
  readonly database?: 'test' | 'embedded';
  readonly dataDir?: string;
  readonly botPort?: number;
  readonly aws?: Partial<FakeAwsOptions>;
  /** Extra fake ServiceNow options (e.g. `oauth`); the bot still gets only the basic-auth env unless `env` adds OAuth. */
  readonly serviceNow?: Partial<FakeServiceNowOptions>;
  readonly env?: Record<string, string>;
  /** Default `src/start.js`, as users run it. */
  readonly entry?: BotEntry;
};

/** The standard fleet: two commercial accounts (three regions) and one GovCloud account. */
export const defaultInstances = (): FakeInstance[] => [
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 2 }),
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 1 }),
  ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 1 }),
];

/**
 * Everything a test needs to drive the bot as users would: fake Slack, fake AWS (SSM+STS), fake
 * ServiceNow, a fresh database, a targets file, per-partition AWS profiles, and the bot process.
 */
export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcm-sandbox-'));
  const aws = await startFakeAws({
    partitions: BASE_CREDENTIALS,
    accounts: Object.values(ACCOUNTS).map((a) => ({
      id: a.id,
      partition: a.partition,
      roleArn: a.roleArn,
      ...('externalId' in a ? { externalId: a.externalId } : {}),
    })),
    instances: options.instances ?? defaultInstances(),
    defaultRunMs: 100,
    deliveryMs: 20,
    ...options.aws,
  });
  const slack = await startFakeSlack({
    users: Object.fromEntries(Object.values(USERS).map((u) => [u, { name: u.toLowerCase() }])),
    channels: { [APPROVAL_CHANNEL]: { name: 'ops-approvals' }, [OPS_CHANNEL]: { name: 'ops' } },
  });
  const serviceNow = await startFakeServiceNow({
    user: 'pcm-bot',
    password: 'sn-password',
    changes: [changeInWindow(CHANGE)],
    ...options.serviceNow,
  });
  const embeddedPort = options.database === 'embedded' ? await freePort() : 0;
  const db = options.database === 'embedded' ? undefined : await createTestDatabase();

  const targetsFile = path.join(dir, 'targets.json');
  await writeFile(
    targetsFile,
    JSON.stringify({
      partitions: { aws: { profile: 'pcm-com' }, 'aws-us-gov': { profile: 'pcm-gov' } },
      accounts: Object.values(ACCOUNTS),
    }),
  );
  const credentialsFile = path.join(dir, 'credentials');
  await writeFile(
    credentialsFile,
    [
      '[pcm-com]',
      `aws_access_key_id = ${BASE_CREDENTIALS.aws.accessKeyId}`,
      `aws_secret_access_key = ${BASE_CREDENTIALS.aws.secretAccessKey}`,
      '',
      '[pcm-gov]',
      `aws_access_key_id = ${BASE_CREDENTIALS['aws-us-gov'].accessKeyId}`,
      `aws_secret_access_key = ${BASE_CREDENTIALS['aws-us-gov'].secretAccessKey}`,
      '',
    ].join('\n'),
  );
  const configFile = path.join(dir, 'config');
  await writeFile(configFile, '[profile pcm-com]\n[profile pcm-gov]\n');

  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    // The bot runs as the runtime role, as in production, so a grant its queries miss fails here.
    ...(db
      ? { DATABASE_URL: testRuntimeUrl(db.name) }
      : { DATA_DIR: options.dataDir ?? path.join(dir, 'data'), EMBEDDED_DB_PORT: String(embeddedPort) }),
    ...(options.botPort ? { PORT: String(options.botPort) } : {}),
    OPS_TARGETS_FILE: targetsFile,
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    APPROVER_USER_IDS: `${USERS.approver},${USERS.second}`,
    ADMIN_USER_IDS: USERS.admin,
    SERVICENOW_URL: serviceNow.url,
    SERVICENOW_USER: 'pcm-bot',
    SERVICENOW_PASSWORD: 'sn-password',
    AWS_ENDPOINT_URL_SSM: aws.url,
    AWS_ENDPOINT_URL_STS: aws.url,
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: aws.url,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_CONFIG_FILE: configFile,
    POLL_INTERVAL_MS: '100',
    POLL_MAX_INTERVAL_MS: '300',
    EXECUTOR_TICK_MS: '100',
    LOG_LEVEL: 'info',
    // Test files submit many requests as one person within a minute; the limit has its own test.
    SUBMIT_RATE_PER_MINUTE: '100',
    ...options.env,
  };
  const bot = await launchBot(env, { readyTimeoutMs: db ? 30_000 : 120_000, ...(options.entry ? { entry: options.entry } : {}) });
  const database = db ?? (await embeddedHandle(`postgres://postgres:postgres@127.0.0.1:${embeddedPort}/pcm_ops`));
  const sandbox: Sandbox = {
    aws,
    slack,
    serviceNow,
    db: database,
    dir,
    env,
    bot,
    restart: async (extraEnv = {}) => {
      sandbox.bot = await launchBot({ ...env, ...extraEnv }, options.entry ? { entry: options.entry } : {});
      return sandbox.bot;
    },
    close: async () => {
      await sandbox.bot.stop();
      await Promise.all([aws.close(), slack.close(), serviceNow.close()]);
      await database.drop();
    },
  };
  return sandbox;
};
