// Who approves (and who requests): Slack user ids and user groups (members read from Slack, cached,
// refreshed, trusted for a bounded time when Slack fails), per tool.
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideApproval } from '../../src/domain/approvalPolicy.ts';
import type { Roster } from '../../src/domain/roster.ts';
import { createApproverDirectory, GROUP_MAX_STALE_MS, GROUP_TTL_MS } from '../../src/slack/approverDirectory.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';

let slack: FakeSlack;
let client: WebClient;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  slack = await startFakeSlack({ usergroups: { S0GLOBAL01: ['U0MEMBER1'], S0SFTTEAM1: ['U0SFT0001'], S0REQUEST1: ['U0REQ0001'] } });
  client = new WebClient(slack.botToken, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
});
beforeEach(() => slack.heal('usergroups.users.list'));
afterAll(async () => slack.close());

const sorted = (roster: Roster) => [...roster.members].sort();
const listCalls = () => slack.callsOf('usergroups.users.list').length;
/** A clock the test moves by hand: no waiting on the wall clock. */
const manualClock = (start = Date.parse('2026-11-26T12:00:00Z')) => {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
};

describe('approver directory', () => {
  it('global approvers: explicit ids plus the group members; a tool with its own group uses only its own', async () => {
    const d = createApproverDirectory({
      client,
      logger,
      userIds: ['U0EXPLICIT'],
      usergroupId: 'S0GLOBAL01',
      toolApprovers: { 'sft-fix': ['S0SFTTEAM1', 'U0ALSOSFT'] },
    });
    expect(sorted(await d.members())).toEqual(['U0EXPLICIT', 'U0MEMBER1']);
    expect(sorted(await d.forTool('qc-prep'))).toEqual(['U0EXPLICIT', 'U0MEMBER1']);
    expect(await d.forTool('sft-fix')).toEqual({ members: new Set(['U0SFT0001', 'U0ALSOSFT']), verified: true });
  });

  it('caches group members for the TTL and reads them again after it', async () => {
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER1']);
    const clock = manualClock();
    const cached = createApproverDirectory({ client, logger, userIds: [], usergroupId: 'S0GLOBAL01', now: clock.now });
    expect(sorted(await cached.members())).toEqual(['U0MEMBER1']);
    const calls = listCalls();
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER2']);
    clock.advance(GROUP_TTL_MS - 1);
    await Promise.all([cached.members(), cached.forTool('qc-prep')]);
    expect(listCalls()).toBe(calls);
    expect(sorted(await cached.members())).toEqual(['U0MEMBER1']);
    clock.advance(1);
    expect(sorted(await cached.members())).toEqual(['U0MEMBER2']);
    expect(listCalls()).toBe(calls + 1);
  });

  it('fails closed: a group that cannot be read adds nobody new; with nothing known it adds nobody and says so', async () => {
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER1']);
    const unknown = createApproverDirectory({ client, logger, userIds: ['U0EXPLICIT'], usergroupId: 'S0GLOBAL01' });
    slack.failNext('usergroups.users.list', 'internal_error');
    expect(await unknown.members()).toEqual({ members: new Set(['U0EXPLICIT']), verified: false });
    // Slack answers again: verified again.
    expect(await unknown.members()).toEqual({ members: new Set(['U0EXPLICIT', 'U0MEMBER1']), verified: true });
    const missing = createApproverDirectory({ client, logger, userIds: [], toolApprovers: { 'sft-fix': ['S0NOSUCHGR'] } });
    expect(await missing.forTool('sft-fix')).toEqual({ members: new Set(), verified: false });
  });

  it('trusts the last members read only for a bounded time while Slack keeps failing, then refuses approvals', async () => {
    slack.setUsergroup('S0GLOBAL01', ['U0MEMBER1']);
    const clock = manualClock();
    const d = createApproverDirectory({ client, logger, userIds: [], usergroupId: 'S0GLOBAL01', now: clock.now });
    expect(sorted(await d.forTool('qc-prep'))).toEqual(['U0MEMBER1']);

    slack.failNext('usergroups.users.list', 'internal_error', { times: Number.POSITIVE_INFINITY });
    clock.advance(GROUP_TTL_MS);
    const before = listCalls();
    expect(await d.forTool('qc-prep')).toEqual({ members: new Set(['U0MEMBER1']), verified: true });
    expect(listCalls()).toBe(before + 1); // it did ask, and Slack failed
    clock.advance(GROUP_MAX_STALE_MS - GROUP_TTL_MS - 1);
    expect(await d.forTool('qc-prep')).toEqual({ members: new Set(['U0MEMBER1']), verified: true });

    // Past the bound: the old members are no longer trusted and an approval is refused, saying why.
    clock.advance(1);
    const stale = await d.forTool('qc-prep');
    expect(stale).toEqual({ members: new Set(), verified: false });
    const verdict = decideApproval({
      approverId: 'U0MEMBER1',
      clickedDigest: 'a'.repeat(64),
      allowedApprovers: stale,
      priorApprovers: [],
      frozen: { on: false },
      now: new Date(clock.now()),
      run: {
        status: 'pending_approval',
        requesterId: 'U0REQ',
        planDigest: 'a'.repeat(64),
        approvalsRequired: 1,
        approvalExpiresAt: new Date(clock.now() + 60_000),
      },
    });
    expect(verdict).toMatchObject({
      ok: false,
      code: 'approvers_unverified',
      message: expect.stringMatching(/approvers of this tool could not be verified/u),
    });
    clock.advance(60 * 60_000);
    expect((await d.forTool('qc-prep')).verified).toBe(false);

    // Slack answers again: current members, verified.
    slack.heal('usergroups.users.list');
    expect(await d.forTool('qc-prep')).toEqual({ members: new Set(['U0MEMBER1']), verified: true });
  });

  it('requesters: none configured means anyone; configured groups follow the same bounded trust', async () => {
    const clock = manualClock();
    const d = createApproverDirectory({
      client,
      logger,
      userIds: ['U0APPROVER'],
      toolRequesters: { 'sft-fix': ['S0REQUEST1', 'U0ALSOREQ'] },
      now: clock.now,
    });
    expect(await d.requestersFor('qc-prep')).toBeUndefined();
    expect(await d.requestersFor('sft-fix')).toEqual({ members: new Set(['U0REQ0001', 'U0ALSOREQ']), verified: true });
    slack.failNext('usergroups.users.list', 'internal_error', { times: Number.POSITIVE_INFINITY });
    clock.advance(GROUP_MAX_STALE_MS - 1);
    expect(await d.requestersFor('sft-fix')).toEqual({ members: new Set(['U0REQ0001', 'U0ALSOREQ']), verified: true });
    clock.advance(1);
    expect(await d.requestersFor('sft-fix')).toEqual({ members: new Set(['U0ALSOREQ']), verified: false });
  });
});
