import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/freePort.ts';
import { launchBot } from '../helpers/launchBot.ts';
import { startSandbox, type Sandbox } from '../helpers/sandbox.ts';

describe('startup', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('exits 1 with one clear list when Slack settings are missing', async () => {
    const { SLACK_BOT_TOKEN: _t, SLACK_SIGNING_SECRET: _s, APPROVAL_CHANNEL_ID: _a, ...rest } = s.env;
    const bot = await launchBot(rest, { waitReady: false });
    expect(await bot.exited).toBe(1);
    const text = bot.output.join('\n');
    expect(text).toContain('pcm-ops-bot cannot start; fix these settings:');
    expect(text).toMatch(/- SLACK_BOT_TOKEN: is required/u);
    expect(text).toMatch(/- SLACK_SIGNING_SECRET: is required/u);
    expect(text).toMatch(/- APPROVAL_CHANNEL_ID: is required/u);
    expect(text).not.toMatch(/\bat .*\.ts:\d+/u); // no stack trace
  });

  it('names a GovCloud account with a commercial role as a configuration error', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = path.join(s.dir, 'bad-targets.json');
    await writeFile(file, JSON.stringify({ accounts: [{ id: '222222222222', name: 'gov', partition: 'aws-us-gov', regions: ['us-gov-west-1'], roleArn: 'arn:aws:iam::222222222222:role/R' }] }));
    const bot = await launchBot({ ...s.env, OPS_TARGETS_FILE: file }, { waitReady: false });
    expect(await bot.exited).toBe(1);
    expect(bot.output.join('\n')).toMatch(/roleArn: is in partition aws but the account is in aws-us-gov/u);
  });

  it('stops at an unknown tool id in the per-tool settings, naming the setting', async () => {
    for (const [setting, value] of [['TOOL_REQUESTER_GROUPS', '{"sft-fixx":"S0SFTREQS01"}'], ['TOOL_ALLOWED_CHANNELS', '{"qc-prepp":"C0OPSCHAN"}']] as const) {
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
    expect(await bot.stop()).toBe(0);
    expect(bot.output.join('\n')).toMatch(/"signal":"SIGTERM".*shutting down/u);
  });

  it('starts an embedded PostgreSQL when DATABASE_URL is unset, keeps its data and reaches ready', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-embedded-'));
    const { DATABASE_URL: _d, ...env } = s.env;
    const embeddedEnv = { ...env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()) };
    const first = await launchBot(embeddedEnv, { readyTimeoutMs: 90_000 });
    expect(first.output.join('\n')).toMatch(/embedded PostgreSQL/u);
    expect(first.output.join('\n')).toMatch(/migrations applied/u);
    expect(await first.stop()).toBe(0);
    // Second start: same data directory, nothing left to migrate.
    const second = await launchBot(embeddedEnv, { readyTimeoutMs: 90_000 });
    expect(second.output.join('\n')).not.toMatch(/migrations applied/u);
    expect(await second.stop()).toBe(0);
  });
});
