import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/envSchema.ts';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret-secret',
  OPS_TARGETS_FILE: 'targets.json',
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVER_USER_IDS: 'U0AAA',
  SERVICENOW_URL: 'https://example.service-now.com',
};
const problems = (env: Record<string, string>): string[] => {
  const parsed = envSchema.safeParse(env);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('ServiceNow credentials', () => {
  it('basic auth: user and password', () => {
    expect(problems({ ...base, SERVICENOW_USER: 'bot', SERVICENOW_PASSWORD: 'pw' })).toEqual([]);
  });
  it('OAuth client credentials instead: user and password are then not needed', () => {
    expect(problems({ ...base, SERVICENOW_CLIENT_ID: 'id', SERVICENOW_CLIENT_SECRET: 'secret' })).toEqual([]);
  });
  it('neither: both basic settings are named, with the OAuth alternative', () => {
    expect(problems(base)).toEqual([
      'SERVICENOW_USER: is required (or set SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET for OAuth)',
      'SERVICENOW_PASSWORD: is required (or set SERVICENOW_CLIENT_ID and SERVICENOW_CLIENT_SECRET for OAuth)',
    ]);
  });
  it('half an OAuth client is refused', () => {
    expect(problems({ ...base, SERVICENOW_CLIENT_ID: 'id', SERVICENOW_USER: 'bot', SERVICENOW_PASSWORD: 'pw' })).toEqual([
      'SERVICENOW_CLIENT_SECRET: is required when the other OAuth client setting is set',
    ]);
  });
  it('is reported along with other problems', () => {
    expect(problems({}).some((p) => p.startsWith('SERVICENOW_USER'))).toBe(true);
  });
});

describe('change control and approval settings', () => {
  const ok = { ...base, SERVICENOW_USER: 'bot', SERVICENOW_PASSWORD: 'pw' };
  it('defaults: rules off, a second approver for mutating actions, no per-tool approvers, requesters or channels', () => {
    const env = envSchema.parse(ok);
    expect(env).toMatchObject({
      CHANGE_ASSIGNMENT_GROUPS: [],
      CHANGE_REQUIRE_CI_COVERAGE: false,
      SECOND_APPROVAL: 'mutating',
      TOOL_APPROVER_GROUPS: {},
      TOOL_REQUESTER_GROUPS: {},
      TOOL_ALLOWED_CHANNELS: {},
    });
    expect(envSchema.parse({ ...ok, SECOND_APPROVAL: 'off' }).SECOND_APPROVAL).toBe('off');
  });
  it('parses every setting', () => {
    const env = envSchema.parse({
      ...ok,
      CHANGE_ASSIGNMENT_GROUPS: 'Platform Operations, 0123456789abcdef0123456789abcdef',
      CHANGE_REQUIRE_CI_COVERAGE: 'true',
      SECOND_APPROVAL: 'govcloud-mutating',
      TOOL_APPROVER_GROUPS: '{"sft-fix":"S0SFTTEAM","qc-prep":["S0QCTEAM","U0ALICE"]}',
      TOOL_REQUESTER_GROUPS: '{"sft-fix":["S0SFTREQ","U0BOB"]}',
      TOOL_ALLOWED_CHANNELS: '{"sft-fix":"C0SFTOPS","qc-prep":["C0OPS","G0PRIVATE"]}',
    });
    expect(env).toMatchObject({
      CHANGE_ASSIGNMENT_GROUPS: ['Platform Operations', '0123456789abcdef0123456789abcdef'],
      CHANGE_REQUIRE_CI_COVERAGE: true,
      SECOND_APPROVAL: 'govcloud-mutating',
      TOOL_APPROVER_GROUPS: { 'sft-fix': ['S0SFTTEAM'], 'qc-prep': ['S0QCTEAM', 'U0ALICE'] },
      TOOL_REQUESTER_GROUPS: { 'sft-fix': ['S0SFTREQ', 'U0BOB'] },
      TOOL_ALLOWED_CHANNELS: { 'sft-fix': ['C0SFTOPS'], 'qc-prep': ['C0OPS', 'G0PRIVATE'] },
    });
  });
  it.each([
    [{ SECOND_APPROVAL: 'always' }, /SECOND_APPROVAL: must be one of off, mutating, govcloud-mutating/u],
    [{ CHANGE_REQUIRE_CI_COVERAGE: 'yes' }, /CHANGE_REQUIRE_CI_COVERAGE: must be true or false/u],
    [{ TOOL_APPROVER_GROUPS: '{sft-fix: S0}' }, /TOOL_APPROVER_GROUPS: must be JSON/u],
    [{ TOOL_APPROVER_GROUPS: '{"sft-fix":"#ops"}' }, /TOOL_APPROVER_GROUPS\.sft-fix: must be a Slack user group id/u],
    [{ TOOL_APPROVER_GROUPS: '{"SFT Fix":"S0SFTTEAM"}' }, /TOOL_APPROVER_GROUPS\.SFT Fix: is not a tool id/u],
    [{ TOOL_REQUESTER_GROUPS: '{sft-fix}' }, /TOOL_REQUESTER_GROUPS: must be JSON/u],
    [{ TOOL_REQUESTER_GROUPS: '{"sft-fix":"#ops"}' }, /TOOL_REQUESTER_GROUPS\.sft-fix: must be a Slack user group id/u],
    [{ TOOL_REQUESTER_GROUPS: '{"sft-fix":[]}' }, /TOOL_REQUESTER_GROUPS\.sft-fix: must not be an empty list/u],
    [{ TOOL_ALLOWED_CHANNELS: '{"sft-fix":"U0ALICE"}' }, /TOOL_ALLOWED_CHANNELS\.sft-fix: must be a Slack channel id/u],
    [{ TOOL_ALLOWED_CHANNELS: '{"Qc Prep":"C0OPS"}' }, /TOOL_ALLOWED_CHANNELS\.Qc Prep: is not a tool id/u],
  ])('refuses %j', (extra, message) => {
    expect(problems({ ...ok, ...extra }).join('\n')).toMatch(message);
  });
});
