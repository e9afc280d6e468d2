import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.ts';

const targets = {
  partitions: { aws: { profile: 'com' }, 'aws-us-gov': { profile: 'gov' } },
  accounts: [
    {
      id: '111111111111',
      name: 'prod-com',
      partition: 'aws',
      regions: ['us-east-1', 'us-west-2'],
      roleArn: 'arn:aws:iam::111111111111:role/PcmOpsExecution',
      externalId: 'ext-1',
    },
    {
      id: '222222222222',
      name: 'prod-gov',
      partition: 'aws-us-gov',
      regions: ['us-gov-west-1'],
      roleArn: 'arn:aws-us-gov:iam::222222222222:role/PcmOpsExecution',
    },
  ],
};

const writeTargets = async (value: unknown, name = 'targets.json'): Promise<string> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcm-config-'));
  const file = path.join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

const env = (file: string) => ({
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret-secret',
  OPS_TARGETS_FILE: file,
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVER_USER_IDS: 'U0AAA,U0BBB',
  SERVICENOW_URL: 'https://example.service-now.com',
  SERVICENOW_USER: 'bot',
  SERVICENOW_PASSWORD: 'pw',
});

describe('loadConfig', () => {
  it('parses a complete environment into a frozen config with defaults', async () => {
    const result = await loadConfig(env(await writeTargets(targets)));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.isFrozen(result.config)).toBe(true);
    expect(result.config.PORT).toBe(3000);
    expect(result.config.socketMode).toBe(false);
    expect(result.config.APPROVER_USER_IDS).toEqual(['U0AAA', 'U0BBB']);
    expect(result.config.MAX_CONCURRENT_EXECUTIONS).toBe(10);
    expect(result.config.targets.accounts).toHaveLength(2);
  });

  it('reads YAML targets too', async () => {
    const yaml = `accounts:\n  - id: "111111111111"\n    name: a\n    partition: aws\n    regions: [us-east-1]\n    roleArn: arn:aws:iam::111111111111:role/R\n`;
    const result = await loadConfig(env(await writeTargets(yaml, 'targets.yaml')));
    expect(result.ok).toBe(true);
  });

  it('lists every missing setting at once', async () => {
    const result = await loadConfig({});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'OPS_TARGETS_FILE',
      'APPROVAL_CHANNEL_ID',
      'SERVICENOW_URL',
      'SERVICENOW_USER',
      'SERVICENOW_PASSWORD',
      'APPROVER_USER_IDS',
    ]) {
      expect(text).toContain(name);
    }
  });

  it.each([
    [
      'a GovCloud account with a commercial role ARN',
      { ...targets.accounts[1], roleArn: 'arn:aws:iam::222222222222:role/R' },
      /partition aws but the account is in aws-us-gov/u,
    ],
    [
      'a GovCloud account with a commercial region',
      { ...targets.accounts[1], regions: ['us-east-1'] },
      /region us-east-1 is not in partition aws-us-gov/u,
    ],
    ['a commercial account with a GovCloud region', { ...targets.accounts[0], regions: ['us-gov-east-1'] }, /not in partition aws/u],
    ['a role in another account', { ...targets.accounts[0], roleArn: 'arn:aws:iam::999999999999:role/R' }, /names account 999999999999/u],
  ])('refuses %s', async (_n, account, message) => {
    const result = await loadConfig(env(await writeTargets({ accounts: [account] })));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(message);
  });

  it('refuses a partition the bot does not know in the targets file (the domain list), and unknown keys under one', async () => {
    for (const partitions of [{ 'aws-cn': { profile: 'cn' } }, { aws: { profile: 'com', region: 'us-east-1' } }]) {
      const result = await loadConfig(env(await writeTargets({ ...targets, partitions })));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.join('\n')).toMatch(/partitions.*Unrecognized key/u);
    }
  });

  it.each([
    ['http://servicenow.example.com', false],
    ['http://10.0.0.5:8080', false],
    ['ftp://servicenow.example.com', false],
    ['https://example.service-now.com', true],
    ['http://127.0.0.1:8080', true],
    ['http://127.9.9.9', true],
    ['http://[::1]:8080', true],
    ['http://localhost:3200', true],
  ])('SERVICENOW_URL %s: accepted = %s (https, or http only to a loopback host)', async (url, ok) => {
    const result = await loadConfig({ ...env(await writeTargets(targets)), SERVICENOW_URL: url });
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.problems.join('\n')).toMatch(/SERVICENOW_URL: must be https:\/\/ \(http:\/\/ only for a loopback host/u);
  });

  it('refuses an unreadable targets file with its path', async () => {
    const result = await loadConfig(env('/nonexistent/targets.json'));
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.problems.join('\n')).toContain('/nonexistent/targets.json');
  });

  it('takes an owner URL for migrations only beside the runtime DATABASE_URL', async () => {
    const file = await writeTargets(targets);
    const alone = await loadConfig({ ...env(file), DATABASE_MIGRATION_URL: 'postgres://owner@db/pcm_ops' });
    expect(alone.ok).toBe(false);
    if (!alone.ok) expect(alone.problems.join('\n')).toMatch(/DATABASE_MIGRATION_URL: needs DATABASE_URL/u);
    const both = await loadConfig({
      ...env(file),
      DATABASE_MIGRATION_URL: 'postgres://owner@db/pcm_ops',
      DATABASE_URL: 'postgres://bot@db/pcm_ops',
    });
    expect(both.ok).toBe(true);
  });
});
