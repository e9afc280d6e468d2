// `npm start` without Slack settings: the bot runs against the simulators (Slack Web API, SSM+STS,
// ServiceNow) and a fleet of simulated hosts, and serves a Slack-like page that drives it with
// signed requests. Everything here is local; nothing leaves the machine.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CustomRoute } from '@slack/bolt';
import { EmbeddedStartError } from '../../db/embeddedStartError.ts';
import { reclaimDataDir } from '../../db/reclaimDataDir.ts';
import { startFakeAws, type FakeAws } from '../aws/index.ts';
import { changeInWindow } from '../servicenow/changeInWindow.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../servicenow/startFakeServiceNow.ts';
import { startFakeSlack, type FakeSlack } from '../slack/startFakeSlack.ts';
import { choosePort, pickedPort } from './choosePort.ts';
import { createConsoleFleet, type ConsoleFleet } from './consoleFleet.ts';
import { consoleRoutes } from './consoleRoutes.ts';
import {
  APPROVAL_CHANNEL,
  CONSOLE_ACCOUNTS,
  CONSOLE_BASE_CREDENTIALS,
  CONSOLE_BOT_TOKEN,
  CONSOLE_CHANGES,
  CONSOLE_CHANNELS,
  CONSOLE_SIGNING_SECRET,
  CONSOLE_USERS,
} from './consoleWorld.ts';

/** Why the console cannot start, in one sentence for the person who typed `npm start`. */
export class ConsoleStartError extends Error {}

export type StartedConsole = {
  /** The settings the bot reads (added to process.env before the configuration is loaded). */
  readonly env: Record<string, string>;
  readonly port: number;
  /** The port asked for was busy, so `port` is another one. */
  readonly portMoved: { readonly asked: number } | undefined;
  readonly slack: FakeSlack;
  readonly aws: FakeAws;
  readonly serviceNow: FakeServiceNow;
  readonly fleet: ConsoleFleet;
  /** The page and its relay; `manifest` is the app's (Slack routes only the slash commands it lists). */
  readonly routes: (botUrl: string, manifest: Record<string, unknown>) => CustomRoute[];
  readonly close: () => Promise<void>;
};

export const startConsole = async (env: NodeJS.ProcessEnv): Promise<StartedConsole> => {
  const asked = Number(env.PORT?.trim() || 3000);
  const { port, moved } = await choosePort(Number.isInteger(asked) && asked > 0 && asked < 65_536 ? asked : 3000);
  // Its own embedded PostgreSQL port, never the real bot's (which may be running on EMBEDDED_DB_PORT).
  const databasePort = String(await pickedPort());
  // The console's database is as simulated as its Slack and hosts: a fresh one each start, in a folder of
  // its own under DATA_DIR (never the real bot's), after stopping a server a crashed console left behind.
  const dataDir = path.resolve(env.DATA_DIR?.trim() || '.data', 'console');
  try {
    await reclaimDataDir(path.join(dataDir, 'pg'), { ownerFile: path.join(dataDir, 'pg.owner'), log: () => {} });
  } catch (error) {
    if (error instanceof EmbeddedStartError) throw new ConsoleStartError(error.message, { cause: error });
    throw error;
  }
  // A server still there belongs to a console that is running: never wipe its data under it.
  if (
    await stat(path.join(dataDir, 'pg', 'postmaster.pid')).then(
      () => true,
      () => false,
    )
  )
    throw new ConsoleStartError(
      `another local console is running with its data in ${dataDir}; stop it, or start this one with another DATA_DIR`,
    );
  await rm(path.join(dataDir, 'pg'), { recursive: true, force: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'pcm-console-'));
  const fleet = createConsoleFleet();
  const aws = await startFakeAws({
    partitions: CONSOLE_BASE_CREDENTIALS,
    accounts: CONSOLE_ACCOUNTS.map((a) => ({ id: a.id, partition: a.partition, roleArn: a.roleArn })),
    instances: fleet.fakeInstances,
    deliveryMs: 150,
  });
  const slack = await startFakeSlack({
    botToken: CONSOLE_BOT_TOKEN,
    users: Object.fromEntries(CONSOLE_USERS.map((u) => [u.id, { name: u.name }])),
    channels: Object.fromEntries(CONSOLE_CHANNELS.map((c) => [c.id, { name: c.name }])),
  });
  const serviceNow = await startFakeServiceNow({
    user: 'pcm-bot',
    password: 'console-sn-password',
    changes: [
      changeInWindow(CONSOLE_CHANGES.inWindow, { change: { short_description: 'Monthly kernel patching (window open now)' } }),
      changeInWindow(CONSOLE_CHANGES.outOfWindow, {
        state: '-2',
        hoursBefore: -24,
        hoursAfter: 28,
        change: { short_description: 'Kernel patching, window opens tomorrow' },
      }),
      changeInWindow(CONSOLE_CHANGES.closed, {
        state: '3',
        hoursBefore: 72,
        hoursAfter: -70,
        change: { short_description: 'Last month’s patching (closed)' },
      }),
    ],
  });

  const targetsFile = path.join(dir, 'targets.json');
  await writeFile(
    targetsFile,
    JSON.stringify({
      partitions: { aws: { profile: 'console-com' }, 'aws-us-gov': { profile: 'console-gov' } },
      accounts: CONSOLE_ACCOUNTS,
    }),
  );
  const credentialsFile = path.join(dir, 'credentials');
  await writeFile(
    credentialsFile,
    [
      '[console-com]',
      `aws_access_key_id = ${CONSOLE_BASE_CREDENTIALS.aws.accessKeyId}`,
      `aws_secret_access_key = ${CONSOLE_BASE_CREDENTIALS.aws.secretAccessKey}`,
      '[console-gov]',
      `aws_access_key_id = ${CONSOLE_BASE_CREDENTIALS['aws-us-gov'].accessKeyId}`,
      `aws_secret_access_key = ${CONSOLE_BASE_CREDENTIALS['aws-us-gov'].secretAccessKey}`,
      '',
    ].join('\n'),
  );
  const configFile = path.join(dir, 'config');
  await writeFile(configFile, '[profile console-com]\n[profile console-gov]\n');
  const byRole = (role: string): string => CONSOLE_USERS.find((u) => u.role === role)?.id ?? '';

  const consoleEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: CONSOLE_BOT_TOKEN,
    SLACK_SIGNING_SECRET: CONSOLE_SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: String(port),
    OPS_TARGETS_FILE: targetsFile,
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    APPROVER_USER_IDS: `${byRole('approver')},${byRole('second approver')}`,
    ADMIN_USER_IDS: byRole('admin'),
    SERVICENOW_URL: serviceNow.url,
    SERVICENOW_USER: 'pcm-bot',
    SERVICENOW_PASSWORD: 'console-sn-password',
    AWS_ENDPOINT_URL_SSM: aws.url,
    AWS_ENDPOINT_URL_STS: aws.url,
    // The tags for tag: selectors and the picker (GetResources): the simulated fleet's, never the real AWS.
    AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: aws.url,
    AWS_SHARED_CREDENTIALS_FILE: credentialsFile,
    AWS_CONFIG_FILE: configFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    POLL_INTERVAL_MS: '500',
    POLL_MAX_INTERVAL_MS: '1500',
    EXECUTOR_TICK_MS: '250',
    SUBMIT_RATE_PER_MINUTE: '100',
    DATA_DIR: dataDir,
    EMBEDDED_DB_PORT: databasePort,
    // Say what happens, not every poll.
    LOG_LEVEL: env.LOG_LEVEL?.trim() || 'warn',
  };
  return {
    env: consoleEnv,
    port,
    portMoved: moved ? { asked } : undefined,
    slack,
    aws,
    serviceNow,
    fleet,
    routes: (botUrl, manifest) => consoleRoutes({ botUrl, slack, fleet, signingSecret: CONSOLE_SIGNING_SECRET, manifest }),
    close: async () => {
      await Promise.all([aws.close(), slack.close(), serviceNow.close()]);
      await fleet.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
