import { describe, expect, it } from 'vitest';
import { decideRequest, type RequestContext } from '../../src/domain/requestPolicy.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import { mayViewRun } from '../../src/domain/runVisibility.ts';

describe('decideRequest (TOOL_REQUESTER_GROUPS, TOOL_ALLOWED_CHANNELS)', () => {
  const base: RequestContext = { userId: 'U0ALICE', channelId: 'C0OPS', command: '/sft-fix', requesters: undefined, channels: [] };
  it.each<[string, Partial<RequestContext>]>([
    ['nothing configured: anyone, anywhere', {}],
    ['a member of the requesters', { requesters: rosterOf(['U0ALICE']) }],
    ['listed by id while a group cannot be verified', { requesters: rosterOf(['U0ALICE'], false) }],
    ['in an allowed channel', { channels: ['C0OTHER', 'C0OPS'] }],
  ])('allows: %s', (_name, over) => {
    expect(decideRequest({ ...base, ...over })).toEqual({ ok: true });
  });
  it.each<[string, Partial<RequestContext>, string, RegExp]>([
    ['not a requester', { requesters: rosterOf(['U0BOB']) }, 'not_requester', /not in the requesters group of `\/sft-fix`/u],
    ['an empty requesters group', { requesters: rosterOf([]) }, 'not_requester', /Ask one of its approvers or a bot admin/u],
    [
      'requesters not verifiable with Slack (fail closed)',
      { requesters: rosterOf([], false) },
      'requesters_unverified',
      /could not be verified with Slack/u,
    ],
    ['another channel', { channels: ['C0SFT'] }, 'wrong_channel', /`\/sft-fix` can only be requested in <#C0SFT>\. Run it there\./u],
    ['a direct message when channels are set', { channelId: 'D0DIRECT', channels: ['C0SFT'] }, 'wrong_channel', /<#C0SFT>/u],
  ])('refuses: %s', (_name, over, code, message) => {
    expect(decideRequest({ ...base, ...over })).toMatchObject({ ok: false, code, message: expect.stringMatching(message) });
  });
});

describe('mayViewRun', () => {
  const run = { viewerId: 'U0OTHER', requesterId: 'U0REQ', isAdmin: false, toolApprovers: rosterOf(['U0APP']) };
  it('the requester, an approver of the tool and an admin see a run; nobody else', () => {
    expect(mayViewRun({ ...run, viewerId: 'U0REQ' })).toBe(true);
    expect(mayViewRun({ ...run, viewerId: 'U0APP' })).toBe(true);
    expect(mayViewRun({ ...run, isAdmin: true })).toBe(true);
    expect(mayViewRun(run)).toBe(false);
    expect(mayViewRun({ ...run, toolApprovers: rosterOf([], false) })).toBe(false);
  });
});
