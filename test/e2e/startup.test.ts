import { mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_YOUNG_GENERATION_MB } from '../../src/process/botHeapLimits.js';
import { freePort } from '../helpers/freePort.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';
import { adminQuery, templateDatabase, testServerUrl, testUrlAs, TEST_OWNER_LOGIN, TEST_RUNTIME_LOGIN } from '../helpers/pgAdmin.ts';
import { startSandbox, type Sandbox } from '../helpers/sandbox.ts';

// The roles of the bot's own connections (never the test's), once it has at least one open.
const botRoles = async (adminUrl: string, database: string): Promise<string[]> => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { rows } = await client.query<{ usename: string }>(
        `select distinct usename from pg_stat_activity where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()`,
        [database],
      );
      if (rows.length > 0) return rows.map((r) => r.usename).sort();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return [];
  } finally {
    await client.end();
  }
};

// A bot that must refuse: it prints the refusal and exits 1 (old code would have started listening).
const refusal = async (bot: LaunchedBot): Promise<string> => {
  const line = await bot.waitForOutput(/refuses to start|"listening"/u, 60_000);
  if (!/refuses to start/u.test(line)) await bot.kill();
  expect(line).toMatch(/refuses to start/u);
  expect(await bot.exited).toBe(1);
  return bot.output.join('\n');
};

describe('startup', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox();
  });
  afterAll(async () => {
    await s?.close();
  });

  // With no Slack settings at all it is the local console (test/browser/consoleStartup.test.ts); with some, the real bot.
  it('exits 1 with one clear list when Slack settings are missing', async () => {
    for (const missing of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'] as const) {
      const { [missing]: _slack, APPROVAL_CHANNEL_ID: _a, ...rest } = s.env;
      const bot = await launchBot(rest, { waitReady: false });
      expect(await bot.exited).toBe(1);
      const text = bot.output.join('\n');
      expect(text).toContain('pcm-ops-bot cannot start; fix these settings:');
      expect(text).toMatch(new RegExp(`- ${missing}: is required`, 'u'));
      expect(text).toMatch(/- APPROVAL_CHANNEL_ID: is required/u);
      expect(text).not.toMatch(/\bat .*\.ts:\d+/u); // no stack trace
    }
  });

  it('without any Slack setting starts the local console, not the bot on the settings given', async () => {
    const { SLACK_BOT_TOKEN: _t, SLACK_SIGNING_SECRET: _s, ...rest } = s.env;
    const bot = await launchBot({ ...rest, DATA_DIR: path.join(s.dir, 'console-data') }, { waitReady: false });
    try {
      const line = await bot.waitForOutput(/local console/u, 60_000);
      expect(line).toContain(`http://localhost:${bot.port}/console`);
      // The console's own world: the DATABASE_URL given is not used (nor any other real service).
      expect(bot.output.join('\n')).toContain('using an embedded PostgreSQL');
      expect(bot.output.join('\n')).not.toContain('database reachable');
    } finally {
      await bot.stop();
    }
  });

  it('exits 1 with one line, no stack trace, when PORT is taken', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, () => resolve((holder.address() as AddressInfo).port)));
    try {
      const bot = await launchBot({ ...s.env, PORT: String(port) }, { waitReady: false });
      expect(await bot.exited).toBe(1);
      const text = bot.output.join('\n');
      expect(text).toContain(`port ${port} is in use by another program; stop it or set PORT to a free port`);
      expect(text).not.toMatch(/\bat .*\.[jt]s:\d+/u);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('exits 1 with one clear list when other settings are missing', async () => {
    const { APPROVAL_CHANNEL_ID: _a, ...rest } = s.env;
    const bot = await launchBot(rest, { waitReady: false });
    expect(await bot.exited).toBe(1);
    const text = bot.output.join('\n');
    expect(text).toContain('pcm-ops-bot cannot start; fix these settings:');
    expect(text).toMatch(/- APPROVAL_CHANNEL_ID: is required/u);
    expect(text).not.toMatch(/\bat .*\.ts:\d+/u); // no stack trace
  });

  it('names a GovCloud account with a commercial role as a configuration error', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = path.join(s.dir, 'bad-targets.json');
    await writeFile(
      file,
      JSON.stringify({
        accounts: [
          {
            id: '222222222222',
            name: 'gov',
            partition: 'aws-us-gov',
            regions: ['us-gov-west-1'],
            roleArn: 'arn:aws:iam::222222222222:role/R',
          },
        ],
      }),
    );
    const bot = await launchBot({ ...s.env, OPS_TARGETS_FILE: file }, { waitReady: false });
    expect(await bot.exited).toBe(1);
    expect(bot.output.join('\n')).toMatch(/roleArn: is in partition aws but the account is in aws-us-gov/u);
  });

  it('stops at an unknown tool id in the per-tool settings, naming the setting', async () => {
    for (const [setting, value] of [
      ['TOOL_REQUESTER_GROUPS', '{"sft-fixx":"S0SFTREQS01"}'],
      ['TOOL_ALLOWED_CHANNELS', '{"qc-prepp":"C0OPSCHAN"}'],
    ] as const) {
      const bot = await launchBot({ ...s.env, [setting]: value }, { waitReady: false });
      expect(await bot.exited).toBe(1);
      expect(bot.output.join('\n')).toMatch(new RegExp(`${setting} names tools that do not exist`, 'u'));
    }
  });

  it('warns at start when SECOND_APPROVAL=off lets mutating actions run after one approval', async () => {
    const bot = await launchBot({ ...s.env, SECOND_APPROVAL: 'off' });
    try {
      expect(await bot.waitForOutput(/SECOND_APPROVAL=off/u)).toMatch(/"level":(40|"warn")/u);
    } finally {
      await bot.stop();
    }
    expect(s.bot.output.join('\n')).not.toMatch(/SECOND_APPROVAL=off/u);
  });

  it('SIGTERM with DATABASE_URL set: the bot runs its own graceful shutdown and exits 0 (no library exit hook cuts it short)', async () => {
    const bot = await launchBot(s.env);
    // The bot runs in src/start.js's worker thread, its young generation bounded (no Node flags given).
    const listening = JSON.parse(await bot.waitForOutput(/"msg":"listening"/u)) as { heapLimitsMb?: { youngGeneration?: number } };
    expect(listening.heapLimitsMb?.youngGeneration).toBe(BOT_YOUNG_GENERATION_MB);
    expect(await bot.stop()).toBe(0);
    // Its last line too: the bot's thread writes its log synchronously, so nothing is lost as it exits.
    expect(bot.output.join('\n')).toMatch(/"signal":"SIGTERM".*shutting down[^]*"signal":"SIGTERM".*"msg":"stopped"/u);
  });

  it('run directly (`node src/main.ts`, on the main thread, no heap limits) it handles SIGTERM itself', async () => {
    const bot = await launchBot(s.env, { entry: 'src/main.ts' });
    const listening = JSON.parse(await bot.waitForOutput(/"msg":"listening"/u)) as { heapLimitsMb?: unknown };
    expect(listening.heapLimitsMb).toBeUndefined();
    expect(await bot.stop()).toBe(0);
    expect(bot.output.join('\n')).toMatch(/"signal":"SIGTERM".*"msg":"stopped"/u);
  });

  it("SIGTERM while the database is still awaited ends the process at once, as the signal's default action does", async () => {
    const unreachable = new URL(testServerUrl('postgres'));
    unreachable.port = String(await freePort()); // nothing listens there
    const closed = unreachable.toString();
    const bot = await launchBot({ ...s.env, DATABASE_URL: closed, DATABASE_MIGRATION_URL: closed }, { waitReady: false });
    await bot.waitForOutput(/database not reachable yet; retrying/u);
    expect(await bot.stop()).toBeNull();
    expect(bot.child.signalCode).toBe('SIGTERM');
  });

  it('starts an embedded PostgreSQL when DATABASE_URL is unset, keeps its data and reaches ready', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-embedded-'));
    const { DATABASE_URL: _d, ...env } = s.env;
    const embeddedEnv = { ...env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()) };
    const first = await launchBot(embeddedEnv, { readyTimeoutMs: 90_000 });
    expect(first.output.join('\n')).toMatch(/embedded PostgreSQL/u);
    expect(first.output.join('\n')).toMatch(/migrations applied/u);
    // The embedded superuser migrated, but the bot runs as a login that can only append to the audit trail.
    const superuserUrl = `postgres://postgres:postgres@127.0.0.1:${embeddedEnv.EMBEDDED_DB_PORT}/pcm_ops`;
    expect(await botRoles(superuserUrl, 'pcm_ops')).toEqual(['pcm_ops_bot']);
    const admin = new pg.Client({ connectionString: superuserUrl });
    await admin.connect();
    try {
      await admin.query('set role pcm_ops_bot');
      await expect(admin.query('truncate audit_events')).rejects.toThrow(/permission denied/u);
      await expect(admin.query('alter table audit_events disable trigger all')).rejects.toThrow(/must be owner/u);
    } finally {
      await admin.end();
    }
    expect(await first.stop()).toBe(0);
    // Second start: same data directory, nothing left to migrate.
    const second = await launchBot(embeddedEnv, { readyTimeoutMs: 90_000 });
    expect(second.output.join('\n')).not.toMatch(/migrations applied/u);
    expect(await botRoles(superuserUrl, 'pcm_ops')).toEqual(['pcm_ops_bot']);
    expect(await second.stop()).toBe(0);
  });
  it('refuses to start as a superuser, which could rewrite the audit trail', async () => {
    const bot = await launchBot({ ...s.env, DATABASE_URL: s.db.url }, { waitReady: false });
    const text = await refusal(bot);
    expect(text).toMatch(/role postgres is a superuser/u);
    expect(text).toMatch(/manifests\/postgres\/roles\.sql/u);
  });

  it('migrates as DATABASE_MIGRATION_URL, runs as DATABASE_URL, and refuses to run as the owner', async () => {
    const name = `pcm_ops_test_owned_${process.pid}`;
    await adminQuery(`drop database if exists ${name} with (force)`);
    await adminQuery(`create database ${name} owner ${TEST_OWNER_LOGIN}`);
    try {
      const ownerUrl = testUrlAs(TEST_OWNER_LOGIN, name);
      const bot = await launchBot({ ...s.env, DATABASE_MIGRATION_URL: ownerUrl, DATABASE_URL: testUrlAs(TEST_RUNTIME_LOGIN, name) });
      expect(bot.output.join('\n')).toMatch(/migrations applied/u);
      expect(await botRoles(testServerUrl('postgres'), name)).toEqual([TEST_RUNTIME_LOGIN]);
      await bot.stop();

      const asOwner = await refusal(await launchBot({ ...s.env, DATABASE_URL: ownerUrl }, { waitReady: false }));
      expect(asOwner).toMatch(new RegExp(`role ${TEST_OWNER_LOGIN} owns audit_events`, 'u'));
    } finally {
      await adminQuery(`drop database if exists ${name} with (force)`);
    }
  });

  it('refuses to start with migrations pending when it has no owner to apply them', async () => {
    const name = `pcm_ops_test_behind_${process.pid}`;
    await adminQuery(`drop database if exists ${name} with (force)`);
    await adminQuery(`create database ${name} template ${templateDatabase()}`);
    try {
      const admin = new pg.Client({ connectionString: testServerUrl(name) });
      await admin.connect();
      await admin.query(`delete from pgmigrations where name = '1764300000000_change_control'`);
      await admin.end();
      const text = await refusal(await launchBot({ ...s.env, DATABASE_URL: testUrlAs(TEST_RUNTIME_LOGIN, name) }, { waitReady: false }));
      expect(text).toMatch(/migrations not applied: 1764300000000_change_control; run `npm run migrate` with DATABASE_MIGRATION_URL/u);
    } finally {
      await adminQuery(`drop database if exists ${name} with (force)`);
    }
  });
});
