// Untrusted text (people, hosts, ServiceNow) reaches Slack as text: never a ping, a mention or a disguised
// link. Every path gets the same payload; what the fake Slack recorded is read the way Slack would parse it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { changeInWindow, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import type { FakeChange } from '../../src/sandbox/servicenow/fakeServiceNowTypes.ts';
import type { FakeEphemeral } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { appHomeOpenedEvent, viewSubmissionPayload } from '../helpers/slackPayloads.ts';
import { postEvent, postInteraction } from '../helpers/slackRequest.ts';
import {
  ACCOUNTS,
  APPROVAL_CHANNEL,
  CHANGE,
  defaultInstances,
  OPS_CHANNEL,
  SIGNING_SECRET,
  startSandbox,
  USERS,
  type Sandbox,
} from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
  typeOps,
} from '../helpers/slackFlows.ts';

const PAYLOAD = '<!channel> *x* <https://evil.example|click>';
const ESCAPED = '&lt;!channel&gt; *x* &lt;https://evil.example|click&gt;';
const BIDI = '\u202E';

const [plainHost] = defaultInstances();
const [namedHost, chattyHost] = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 2, name: 'escaping' }) as [
  FakeInstance,
  FakeInstance,
];
namedHost.computerName = `evil-host ${PAYLOAD}`;
// A host whose result summary is a payload over several lines, with bidi and control characters, longer than a line.
const summary = `${BIDI}line one\u0007\nline two ${PAYLOAD}\r\n${'y'.repeat(150)}`;
chattyHost.behavior = {
  status: 'Failed',
  responseCode: 1,
  stdout: `checking\nPCM_RESULT ${JSON.stringify({ status: 'fail', summary })}\n`,
};
const instances = [...defaultInstances(), namedHost, chattyHost];
const allIds = instances.map((i) => i.instanceId);

let s: Sandbox;
const change = (over: Partial<Omit<FakeChange, 'number'>> = {}, state?: string): FakeChange =>
  changeInWindow(CHANGE, { ...(state ? { state } : {}), change: { cis: allIds, short_description: PAYLOAD, ...over } });

beforeAll(async () => {
  s = await startSandbox({ instances, env: { CHANGE_REQUIRE_CI_COVERAGE: 'true', CHANGE_ASSIGNMENT_GROUPS: 'Platform Operations' } });
  s.serviceNow.setChange(change());
});
afterAll(async () => {
  await s?.close();
});

// ---------------------------------------------------------------- helpers

const known = new Set<string>(Object.values(USERS));
/** Markup Slack would act on that the bot did not mean: broadcasts, links, mentions of anyone but our users, foreign channels. */
const badMarkup = () =>
  s.slack
    .markup()
    .filter(
      (t) =>
        t.kind === 'broadcast' ||
        t.kind === 'link' ||
        (t.kind === 'user' && !known.has(t.id)) ||
        (t.kind === 'channel' && t.id !== APPROVAL_CHANNEL),
    );
/** Slack-parsed text (mrkdwn blocks and message `text`) anywhere, as one string per surface. */
const parsedTexts = () => s.slack.shownTexts().filter((t) => t.kind !== 'plain_text');

const submitWith = async (
  targets: readonly FakeInstance[],
  user: string = USERS.requester,
): Promise<{ accepted: boolean; shown: string; plain: boolean }> => {
  const view = await openRequestModal(s, '/qc-prep', user);
  const answer = await submitRequestModal(s, view, user, { instances: targets.map((i) => i.instanceId).join('\n'), change: CHANGE });
  expect(answer.status).toBe(200);
  const body = answer.body as { response_action?: string; errors?: Record<string, string> } | undefined;
  if (!body) return { accepted: true, shown: '', plain: false };
  if (body.response_action === 'errors') return { accepted: false, shown: Object.values(body.errors ?? {}).join('\n'), plain: true };
  const text = () => (s.slack.views.get(view.id)?.blocks ?? []).map((b) => (b as { text?: { text?: string } }).text?.text ?? '').join('\n');
  const final = await s.slack.waitFor(() => (/was not submitted|was submitted for approval/u.test(text()) ? text() : undefined), {
    timeoutMs: 30_000,
  });
  return { accepted: final.includes('was submitted for approval'), shown: final, plain: false };
};

const submitRun = async (targets: readonly FakeInstance[]): Promise<string> => {
  const answer = await submitWith(targets);
  expect(answer).toMatchObject({ accepted: true });
  const runId = await latestRunId(s);
  await approvalMessageFor(s, runId);
  return runId;
};

const ops = async (user: string, text: string): Promise<string> => (await typeOps(s, user, text)).all;

const ephemeralAfter = async (user: string, since: number, pattern: RegExp): Promise<FakeEphemeral> =>
  s.slack.waitFor(
    (f) =>
      f
        .ephemerals(user)
        .slice(since)
        .find((e) => pattern.test(e.text ?? '')),
    { timeoutMs: 15_000 },
  );

const parentOf = (runId: string) =>
  s.slack.messages(OPS_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
const threadJson = (runId: string): string => {
  const parent = parentOf(runId);
  return parent ? JSON.stringify(s.slack.thread(OPS_CHANNEL, parent.ts)) : '';
};
const approvalJson = (runId: string): string =>
  JSON.stringify(s.slack.messages(APPROVAL_CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId)) ?? {});

/** JSON-escaped form of a string, to find it inside JSON.stringify output. */
const inJson = (text: string): string => JSON.stringify(text).slice(1, -1);

// ---------------------------------------------------------------- tests

describe('untrusted text is shown as text', () => {
  it("the markup check itself sees pings and links, and the bot's own mentions are still mentions", async () => {
    const runId = await submitRun([plainHost!]);
    expect(s.slack.markup().some((t) => t.kind === 'user' && t.id === USERS.requester)).toBe(true);
    // The "submitted" reply names the approvals channel; it is delivered apart from the approval message (another stream).
    await s.slack.waitFor((f) => f.markup().some((t) => t.kind === 'channel' && t.id === APPROVAL_CHANNEL), { timeoutMs: 5_000 });
    expect(approvalJson(runId)).toContain(`<@${USERS.requester}>`);
    expect(badMarkup()).toEqual([]);
  });

  it('an unknown /ops verb is quoted back escaped', async () => {
    const answer = await ops(USERS.requester, PAYLOAD);
    expect(answer).toContain('&lt;!channel&gt;');
    expect(answer).toContain('is not an /ops command');
    expect(badMarkup()).toEqual([]);
  });

  it('ServiceNow state, assignment group and a host name in a refused approval are escaped (ephemeral mrkdwn)', async () => {
    const runId = await submitRun([plainHost!, namedHost]);
    const refusedWith = async (arrange: () => void, pattern: RegExp): Promise<void> => {
      arrange();
      try {
        const since = s.slack.ephemerals(USERS.approver).length;
        await clickDecision(s, runId, USERS.approver);
        const shown = await ephemeralAfter(USERS.approver, since, /Not approved/u);
        expect(shown.text).toMatch(pattern);
        expect(shown.text).not.toContain(PAYLOAD);
      } finally {
        s.serviceNow.setChange(change());
      }
    };
    await refusedWith(
      () => s.serviceNow.setChange(change({}, PAYLOAD)),
      new RegExp(`is in state state ${escapeRe(ESCAPED)}; it must be`, 'u'),
    );
    await refusedWith(
      () => s.serviceNow.setChange(change({ assignment_group: { value: sysIdFor('group:evil'), display_value: PAYLOAD } })),
      new RegExp(`is assigned to ${escapeRe(ESCAPED)}, not to Platform Operations`, 'u'),
    );
    await refusedWith(
      () => s.serviceNow.setChange(change({ cis: allIds.filter((id) => id !== namedHost.instanceId) })),
      new RegExp(`${namedHost.instanceId} \\(evil-host ${escapeRe(ESCAPED)}\\)`, 'u'),
    );
    expect(await waitForRunStatus(s, runId, ['pending_approval'])).toBe('pending_approval');
    expect(badMarkup()).toEqual([]);
  });

  it('modal errors: plain text in the modal, escaped when the answer comes later as a mrkdwn notice', async () => {
    s.serviceNow.setChange(change({}, PAYLOAD));
    try {
      // In time: Slack shows `errors` as plain text; the payload is shown as typed, nothing to parse.
      const quick = await submitWith([plainHost!]);
      expect(quick.accepted).toBe(false);
      if (quick.plain) expect(quick.shown).toContain(`is in state state ${PAYLOAD}`);
      else expect(quick.shown).toContain(`is in state state ${ESCAPED}`);
      // Past Slack's 3 s: the modal becomes a mrkdwn notice, escaped.
      s.serviceNow.setMode('slow', { slowMs: 3_000 });
      const late = await submitWith([plainHost!]);
      expect(late).toMatchObject({ accepted: false, plain: false });
      expect(late.shown).toContain(`is in state state ${ESCAPED}`);
      expect(late.shown).not.toContain(PAYLOAD);
    } finally {
      s.serviceNow.setMode('up');
      s.serviceNow.setChange(change());
    }
    expect(badMarkup()).toEqual([]);
  });

  it('a reject reason is escaped in the thread, the approval message and /ops show; bidi characters are gone', async () => {
    const runId = await submitRun([plainHost!]);
    const before = s.slack.callsOf('views.open').length;
    await clickDecision(s, runId, USERS.requester, 'reject_run'); // the requester withdraws their own request
    const opened = await s.slack.waitFor((f) => f.callsOf('views.open')[before], { timeoutMs: 10_000 });
    const view = s.slack.views.get((opened.response as { view: { id: string } }).view.id);
    if (!view) throw new Error('no reject modal');
    const reason = `${BIDI}${PAYLOAD}`;
    const response = await postInteraction(
      s.bot.url,
      SIGNING_SECRET,
      viewSubmissionPayload({ user: USERS.requester, view, values: { value: reason } }),
    );
    expect(response.status).toBe(200);
    expect(await waitForRunStatus(s, runId, ['rejected'])).toBe('rejected');
    await s.slack.waitFor(() => threadJson(runId).includes(inJson(`:no_entry: Rejected by <@${USERS.requester}>: ${ESCAPED}.`)), {
      timeoutMs: 10_000,
    });
    await s.slack.waitFor(() => approvalJson(runId).includes(inJson(`: ${ESCAPED}`)), { timeoutMs: 10_000 });
    const shown = await ops(USERS.requester, `show ${runId}`);
    expect(shown).toContain(inJson(`: ${ESCAPED}`));
    for (const t of parsedTexts()) expect(t.text, t.where).not.toContain(BIDI);
    expect(badMarkup()).toEqual([]);
  });

  it('a freeze reason is escaped in the reply, the approvals channel, open approval messages, /ops freeze and App Home', async () => {
    const pending = await submitRun([plainHost!]);
    const on = await ops(USERS.admin, `freeze on ${PAYLOAD}`);
    try {
      expect(on).toContain(inJson(`Change freeze is on: ${ESCAPED}`));
      await s.slack.waitFor(
        (f) => f.messages(APPROVAL_CHANNEL).some((m) => m.text?.includes(`turned the change freeze *on*: ${ESCAPED}`)),
        { timeoutMs: 10_000 },
      );
      await s.slack.waitFor(() => approvalJson(pending).includes(inJson(`*Change freeze is on*: ${ESCAPED}`)), { timeoutMs: 10_000 });
      expect(await ops(USERS.requester, 'freeze')).toContain(inJson(`The change freeze is on: ${ESCAPED}`));
      const before = s.slack.callsOf('views.publish').length;
      expect((await postEvent(s.bot.url, SIGNING_SECRET, appHomeOpenedEvent(USERS.approver))).status).toBe(200);
      await s.slack.waitFor((f) => f.callsOf('views.publish')[before], { timeoutMs: 10_000 });
      expect(JSON.stringify(s.slack.homeOf(USERS.approver)?.blocks)).toContain(inJson(`*Change freeze is on*: ${ESCAPED}`));
    } finally {
      await ops(USERS.admin, 'freeze off');
    }
    expect(badMarkup()).toEqual([]);
  });

  it("a host's result summary is one escaped line of bounded length, without bidi or control characters", async () => {
    const runId = await submitRun([chattyHost]);
    await clickDecision(s, runId, USERS.approver);
    expect(await waitForRunStatus(s, runId, ['failed'])).toBe('failed');
    const line = `line one line two ${ESCAPED} yyy`;
    const thread = await s.slack.waitFor(
      () => {
        const parent = parentOf(runId);
        const replies = parent ? s.slack.thread(OPS_CHANNEL, parent.ts) : [];
        return replies.find((m) => JSON.stringify(m.blocks ?? []).includes(chattyHost.instanceId));
      },
      { timeoutMs: 15_000 },
    );
    const body = JSON.stringify(thread.blocks);
    expect(body).toContain(inJson(line));
    const shownLine = /— (line one[^"]*)/u.exec(body)?.[1] ?? '';
    expect(shownLine).toMatch(/…$/u);
    expect(shownLine).not.toMatch(/\\n|\\r|\\u0007/u);
    // 120 characters before escaping: the escaped line is longer only by the entities.
    expect(shownLine.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').length).toBeLessThanOrEqual(120);
    const shown = await ops(USERS.requester, `show ${runId}`);
    expect(shown).toContain(inJson(line));
    for (const t of parsedTexts()) {
      expect(t.text, t.where).not.toContain(BIDI);
      expect(t.text, t.where).not.toContain('\u0007');
    }
    expect(badMarkup()).toEqual([]);
  });

  it('nothing the bot showed anywhere pings, mentions a stranger or links', () => {
    expect(badMarkup()).toEqual([]);
    expect(parsedTexts().filter((t) => t.text.includes(PAYLOAD))).toEqual([]);
    expect(parsedTexts().some((t) => t.text.includes(ESCAPED))).toBe(true);
  });
});

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}
