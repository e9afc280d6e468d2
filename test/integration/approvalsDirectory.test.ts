// Who approves: Slack user ids and user groups (members read from Slack, cached, refreshed), per tool.
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApproverDirectory } from '../../src/slack/approverDirectory.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/startFakeSlack.ts';

let slack: FakeSlack;
let client: WebClient;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  slack = await startFakeSlack({ usergroups: { S0GLOBAL01: ['U0MEMBER1'], S0SFTTEAM1: ['U0SFT0001'] } });
  client = new WebClient(slack.botToken, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
});
afterAll(async () => slack.close());

const sorted = (set: ReadonlySet<string>) => [...set].sort();
const listCalls = () => slack.callsOf('usergroups.users.list').length;

describe('approver directory', () => {
  it('global approvers: explicit ids plus the group members; a tool with its own group uses only its own', async () => {
    const d = createApproverDirectory({
      client, logger, userIds: ['U0EXPLICIT'], usergroupId: 'S0GLOBAL01', toolApprovers: { 'sft-fix': ['S0SFTTEAM1', 'U0ALSOSFT'] },
    });
    expect(sorted(await d.members())).toEqual(['U0EXPLICIT', 'U0MEMBER1']);
    expect(sorted(await d.forTool('qc-prep'))).toEqual(['U0EXPLICIT', 'U0MEMBER1']);
    expect(sorted(await d.forTool('sft-fix'))).toEqual(['U0ALSOSFT', 'U0SFT0001']);
  });

  it('caches group members for the TTL and reads them again after it', async () => {
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER1']);
    const cached = createApproverDirectory({ client, logger, userIds: [], usergroupId: 'S0GLOBAL01', ttlMs: 60_000 });
    const fresh = createApproverDirectory({ client, logger, userIds: [], usergroupId: 'S0GLOBAL01', ttlMs: 0 });
    expect(sorted(await cached.members())).toEqual(['U0MEMBER1']);
    expect(sorted(await fresh.members())).toEqual(['U0MEMBER1']);
    const calls = listCalls();
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER2']);
    await Promise.all([cached.members(), cached.forTool('qc-prep')]);
    expect(listCalls()).toBe(calls);
    expect(sorted(await cached.members())).toEqual(['U0MEMBER1']);
    expect(sorted(await fresh.members())).toEqual(['U0MEMBER2']);
  });

  it('fails closed: a group that cannot be read adds nobody new (last known members, or none)', async () => {
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER1']);
    const known = createApproverDirectory({ client, logger, userIds: ['U0EXPLICIT'], usergroupId: 'S0GLOBAL01', ttlMs: 0 });
    expect(sorted(await known.members())).toEqual(['U0EXPLICIT', 'U0MEMBER1']);
    slack.failNext('usergroups.users.list', 'internal_error');
    expect(sorted(await known.members())).toEqual(['U0EXPLICIT', 'U0MEMBER1']);

    const unknown = createApproverDirectory({ client, logger, userIds: ['U0EXPLICIT'], usergroupId: 'S0GLOBAL01' });
    slack.failNext('usergroups.users.list', 'internal_error');
    expect(sorted(await unknown.members())).toEqual(['U0EXPLICIT']);
    const missing = createApproverDirectory({ client, logger, userIds: [], toolApprovers: { 'sft-fix': ['S0NOSUCHGR'] } });
    expect(sorted(await missing.forTool('sft-fix'))).toEqual([]);
  });
});
