// Smaller holes of the security review (issue 8, finding 9) on the Slack side: future-stamped requests,
// re-delivered view submissions, requests from another workspace, the per-person submission limit and
// what /healthz tells strangers.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { launchBot } from '../helpers/launchBot.ts';
import { stateValuesForBlocks, viewSubmissionPayload } from '../helpers/slackPayloads.ts';
import { postInteraction, postSlashCommand } from '../helpers/slackRequest.ts';
import { defaultInstances, CHANGE, OPS_CHANNEL, SIGNING_SECRET, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { openRequestModal, submitRequestModal } from '../helpers/slackFlows.ts';

const instances = defaultInstances();
const ids = instances.map((i) => i.instanceId).join('\n');
const OTHER_TEAM = 'T0OTHERTEAM';

const runCount = async (s: Sandbox, requester?: string): Promise<number> =>
  requester
    ? s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs where requester_id = ${requester}`)
    : s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs`);

describe('request hardening', () => {
  let s: Sandbox;
  beforeAll(async () => {
    s = await startSandbox({ instances, env: { SUBMIT_RATE_PER_MINUTE: '2' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a correctly signed request stamped ten minutes in the future (401), and nothing happens', async () => {
    const trigger = s.slack.issueTriggerId({ userId: USERS.requester });
    const future = await postSlashCommand(
      s.bot.url,
      SIGNING_SECRET,
      { command: '/qc-prep', user_id: USERS.requester, channel_id: OPS_CHANNEL, trigger_id: trigger },
      { timestamp: Math.floor(Date.now() / 1000) + 10 * 60 },
    );
    expect(future.status).toBe(401);
    expect(await future.text()).toBe('');
    // The same request stamped now still passes (the signature check is Bolt's, unchanged).
    const now = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
      command: '/qc-prep',
      user_id: USERS.requester,
      channel_id: OPS_CHANNEL,
      trigger_id: trigger,
    });
    expect(now.status).toBe(200);
    await s.slack.waitFor((f) => f.callsOf('views.open')[0], { timeoutMs: 5_000 });
    expect(s.slack.callsOf('views.open')).toHaveLength(1);
  });

  it('treats a re-delivered view submission (same view id and hash) as the same request', async () => {
    const view = await openRequestModal(s, '/qc-prep', USERS.requester);
    const before = await runCount(s);
    const current = s.slack.views.get(view.id) ?? view;
    const payload = viewSubmissionPayload({
      user: USERS.requester,
      view: current,
      stateValues: stateValuesForBlocks(current.blocks, { instances: ids, change: CHANGE }),
    });
    // Slack retried: two identical deliveries, at the same time.
    const answers = await Promise.all([
      postInteraction(s.bot.url, SIGNING_SECRET, payload),
      postInteraction(s.bot.url, SIGNING_SECRET, payload),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await Promise.all(answers.map((a) => a.text()))).toEqual(['', '']);
    // A third, later copy too.
    const late = await postInteraction(s.bot.url, SIGNING_SECRET, payload);
    expect([late.status, await late.text()]).toEqual([200, '']);
    expect(await runCount(s)).toBe(before + 1);
    await s.bot.waitForOutput(/re-delivered; answered like the first/u);
    const runId = await s.db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`select id from runs order by created_at desc limit 1`);
    // Announced once (the outbox delivers it after the answer): one parent, one approval message.
    await s.slack.waitFor((f) => f.messages('C0APPROVALS').some((m) => JSON.stringify(m.blocks ?? []).includes(runId)), {
      timeoutMs: 10_000,
    });
    const approvals = s.slack.messages('C0APPROVALS').filter((m) => JSON.stringify(m.blocks ?? []).includes(runId));
    expect(approvals).toHaveLength(1);
    expect(s.slack.messages(OPS_CHANNEL).filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId))).toHaveLength(1);
  });

  it('refuses requests from another workspace: no modal, no run, nobody told', async () => {
    const opened = s.slack.callsOf('views.open').length;
    const trigger = s.slack.issueTriggerId({ userId: USERS.requester });
    const command = await postSlashCommand(s.bot.url, SIGNING_SECRET, {
      command: '/qc-prep',
      user_id: USERS.requester,
      channel_id: OPS_CHANNEL,
      trigger_id: trigger,
      team_id: OTHER_TEAM,
    });
    expect(command.status).toBe(200);

    const view = await openRequestModal(s, '/qc-prep', USERS.outsider);
    const before = await runCount(s);
    const payload = viewSubmissionPayload({
      user: USERS.outsider,
      view,
      stateValues: stateValuesForBlocks(view.blocks, { instances: ids, change: CHANGE }),
    }) as Record<string, Record<string, unknown>>;
    // As the other workspace would send it: its team everywhere a team is named.
    const foreign = await postInteraction(s.bot.url, SIGNING_SECRET, {
      ...payload,
      team: { id: OTHER_TEAM, domain: 'other' },
      user: { ...payload.user, team_id: OTHER_TEAM },
      view: { ...payload.view, team_id: OTHER_TEAM, app_installed_team_id: OTHER_TEAM },
    });
    expect(foreign.status).toBe(200);
    await s.bot.waitForOutput(/refused a request from another Slack workspace/u);
    await s.bot.waitForOutput(new RegExp(`request from team ${OTHER_TEAM}`, 'u'));
    expect(s.slack.callsOf('views.open')).toHaveLength(opened + 1); // only the modal opened from this workspace
    expect(await runCount(s)).toBe(before);
    expect(s.slack.ephemerals(USERS.requester)).toHaveLength(0);
    expect(s.slack.ephemerals(USERS.outsider)).toHaveLength(0);
  });

  it('limits submissions per person per minute (counted in PostgreSQL) with a clear message in the modal, audited', async () => {
    const user = USERS.second;
    for (let n = 0; n < 2; n += 1) {
      const answer = await submitRequestModal(s, await openRequestModal(s, '/qc-prep', user), user, { instances: ids, change: CHANGE });
      expect(answer.body).toBeUndefined();
    }
    expect(await runCount(s, user)).toBe(2);
    const third = await submitRequestModal(s, await openRequestModal(s, '/qc-prep', user), user, { instances: ids, change: CHANGE });
    expect(third.body).toMatchObject({
      response_action: 'errors',
      errors: { action: expect.stringMatching(/submitted 2 requests in the last minute; the limit is 2 a minute/u) },
    });
    expect(await runCount(s, user)).toBe(2);
    // The same "no" is on the audit trail, with what was asked and no run.
    const audited = await s.db.pool.any(
      sql.type(
        z.object({ run_id: z.string().nullable(), reason: z.string().nullable(), data: z.record(z.string(), z.unknown()) }),
      )`select run_id::text, reason, data from audit_events where actor = ${user} and action = 'request_refused'`,
    );
    expect(audited).toEqual([
      {
        run_id: null,
        reason: expect.stringMatching(/the limit is 2 a minute/u),
        data: expect.objectContaining({ code: 'rate_limited', field: 'action', tool: 'qc-prep', change: CHANGE, stage: 'submission' }),
      },
    ]);
    // Someone else is not affected.
    const other = await submitRequestModal(s, await openRequestModal(s, '/qc-prep', USERS.admin), USERS.admin, {
      instances: ids,
      change: CHANGE,
    });
    expect(other.body).toBeUndefined();
  });

  it('/healthz answers a status only: the reason (Slack error text) goes to the log, not to whoever asks', async () => {
    const bot = await launchBot({ ...s.env, SLACK_BOT_TOKEN: 'xoxb-not-the-token' }, { waitReady: false });
    try {
      await bot.waitForOutput(/Slack not reachable yet/u, 30_000);
      const response = await fetch(`${bot.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'starting' });
      expect(bot.output.join('\n')).toMatch(/invalid_auth/u);
    } finally {
      await bot.stop();
    }
  });
});
