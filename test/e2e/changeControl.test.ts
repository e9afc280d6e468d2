// Change control end to end: ServiceNow is asked at submit and at approval (fail closed), the optional
// group and CI rules apply, and a completed run leaves work notes on the change.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { changeInWindow, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import type { FakeEphemeral } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { CHANGE, defaultInstances, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import {
  approvalMessageFor,
  clickDecision,
  latestRunId,
  openRequestModal,
  submitRequestModal,
  waitForRunStatus,
} from '../helpers/slackFlows.ts';

const runCount = async (s: Sandbox) => s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs`);

/**
 * Submits the request modal as the requester. Returns whether it was accepted and what the person was
 * shown: the modal's field errors, or, when the checks outlast Slack's 3 s, the view it was updated to.
 */
const submitWith = async (
  s: Sandbox,
  instances: readonly FakeInstance[],
  change = CHANGE,
): Promise<{ accepted: boolean; shown: string }> => {
  const view = await openRequestModal(s, '/qc-prep', USERS.requester);
  const answer = await submitRequestModal(s, view, USERS.requester, { instances: instances.map((i) => i.instanceId).join('\n'), change });
  expect(answer.status).toBe(200);
  const body = answer.body as { response_action?: string; errors?: Record<string, string> } | undefined;
  if (!body) return { accepted: true, shown: '' };
  if (body.response_action === 'errors') return { accepted: false, shown: Object.values(body.errors ?? {}).join('\n') };
  const text = () => (s.slack.views.get(view.id)?.blocks ?? []).map((b) => (b as { text?: { text?: string } }).text?.text ?? '').join('\n');
  const final = await s.slack.waitFor(() => (/was not submitted|was submitted for approval/u.test(text()) ? text() : undefined), {
    timeoutMs: 30_000,
  });
  return { accepted: final.includes('was submitted for approval'), shown: final };
};

const ephemeralAfter = async (s: Sandbox, user: string, since: number, pattern: RegExp): Promise<FakeEphemeral> =>
  s.slack.waitFor(
    (f) =>
      f
        .ephemerals(user)
        .slice(since)
        .find((e) => pattern.test(e.text ?? '')),
    { timeoutMs: 15_000 },
  );

describe('ServiceNow at submit and at approval', () => {
  const instances = defaultInstances();
  let s: Sandbox;

  beforeAll(async () => {
    s = await startSandbox({ instances });
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each([
    [
      'ServiceNow is down',
      () => s.serviceNow.setMode('down'),
      CHANGE,
      /ServiceNow could not confirm CHG0012345 \(ServiceNow is unavailable \(HTTP 503\)\)\. Nothing will run until it can; try again/u,
    ],
    [
      'ServiceNow answers garbage',
      () => s.serviceNow.setMode('malformed', { malformed: 'html' }),
      CHANGE,
      /ServiceNow could not confirm CHG0012345 .*not JSON/u,
    ],
    [
      'the change is still being authorised',
      () => s.serviceNow.setChange(changeInWindow(CHANGE, { state: '-3' })),
      CHANGE,
      /CHG0012345 is in state Authorize; it must be Implement or Scheduled\. Move the change forward/u,
    ],
    ['the change is closed', () => s.serviceNow.setChange(changeInWindow(CHANGE, { state: '3' })), CHANGE, /is in state Closed/u],
    [
      'the window is over',
      () => s.serviceNow.setChange(changeInWindow(CHANGE, { hoursBefore: 5, hoursAfter: -2 })),
      CHANGE,
      /planned window ended .*; extend the change or raise a new one/u,
    ],
    // A window that has not opened is no longer refused: the run is scheduled (test/e2e/scheduledStart.test.ts).
    ['the change does not exist', () => {}, 'CHG0099999', /not found in ServiceNow\. Check the number/u],
  ])('refuses the request in the modal when %s; nothing is stored', async (_name, arrange, change, message) => {
    const before = await runCount(s);
    arrange();
    try {
      const answer = await submitWith(s, instances, change);
      expect(answer.accepted).toBe(false);
      expect(answer.shown).toMatch(message);
      expect(await runCount(s)).toBe(before);
    } finally {
      s.serviceNow.setMode('up');
      s.serviceNow.setChange(changeInWindow(CHANGE));
    }
  });

  it.each([
    [
      'the change was closed since the request',
      () => s.serviceNow.setChange(changeInWindow(CHANGE, { state: '3' })),
      /Not approved: CHG0012345 is in state Closed/u,
      'change_wrong_state',
    ],
    [
      'ServiceNow went down since the request',
      () => s.serviceNow.setMode('down'),
      /Not approved: ServiceNow could not confirm CHG0012345 .*try again/u,
      'servicenow_unavailable',
    ],
  ])('checks again at approval: refused when %s, nothing runs', async (_name, arrange, message, code) => {
    expect((await submitWith(s, instances)).accepted).toBe(true);
    const runId = await latestRunId(s);
    await approvalMessageFor(s, runId);
    arrange();
    try {
      const since = s.slack.ephemerals(USERS.approver).length;
      await clickDecision(s, runId, USERS.approver);
      await ephemeralAfter(s, USERS.approver, since, message);
      const status = await s.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
      expect(status).toBe('pending_approval');
      const refused = await s.db.pool.anyFirst(sql.type(z.object({ code: z.string().nullable() }))`
        select data->>'code' as code from audit_events where run_id = ${runId} and action = 'approval_refused'`);
      expect(refused).toEqual([code]);
      expect(s.aws.commands().filter((c) => c.comment.includes(runId))).toHaveLength(0);
      const verdict = await s.db.pool.oneFirst(
        sql.type(z.object({ last_verdict: z.string().nullable() }))`select last_verdict from changes where number = ${CHANGE}`,
      );
      expect(verdict).toBe(code);
    } finally {
      s.serviceNow.setMode('up');
      s.serviceNow.setChange(changeInWindow(CHANGE));
    }
    // Once ServiceNow says yes again, the same request can be approved.
    await clickDecision(s, runId, USERS.approver);
    expect(await waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'])).toBe('succeeded');
  });

  it('a completed run leaves a work note on the change when it starts and when it ends', async () => {
    expect((await submitWith(s, instances)).accepted).toBe(true);
    const runId = await latestRunId(s);
    await approvalMessageFor(s, runId);
    await clickDecision(s, runId, USERS.approver);
    expect(await waitForRunStatus(s, runId, ['succeeded'])).toBe('succeeded');

    const notes = await s.slack.waitFor(
      () => {
        const mine = s.serviceNow.workNotes(CHANGE).filter((n) => n.includes(runId));
        return mine.length === 2 ? mine : undefined;
      },
      { timeoutMs: 15_000 },
    );
    const [started, finished] = notes;
    const permalinks = s.slack
      .callsOf('chat.getPermalink')
      .map((c) => (c.response as { permalink?: string }).permalink)
      .filter(Boolean);
    for (const note of notes) {
      expect(note).toContain('Linux QC Patching Prep (qc-prep)');
      expect(note).toContain('Initial QC (initial-qc)');
      expect(note).toMatch(/Requested by: .*\(U0REQUESTER\)/u);
      expect(note).toMatch(/approved by: .*\(U0APPROVER\)/u);
      expect(note).toMatch(/Slack thread: https:\/\/fake-team\.slack\.com\/archives\/C0OPSCHAN\/p\d+/u);
      expect(permalinks.some((p) => p && note.includes(p))).toBe(true);
    }
    expect(started).toContain(`Run ${runId} started`);
    expect(started).toContain('Targets: 4 instance(s)');
    expect(finished).toContain(`Run ${runId} finished: succeeded`);
    expect(finished).toContain('Results: success 4 (of 4 instance(s))');
    expect(
      s.serviceNow.calls.filter(
        (c) => c.method === 'PATCH' && c.path === `/api/now/table/change_request/${sysIdFor(CHANGE)}` && c.status === 200,
      ).length,
    ).toBeGreaterThanOrEqual(2);
    // The audit event follows the write.
    const audited = async () =>
      s.db.pool.anyFirst(
        sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} and action like 'work_note%'`,
      );
    const deadline = Date.now() + 10_000;
    while ((await audited()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await audited()).toEqual(['work_note_written', 'work_note_written']);
  });
});

describe('optional rules: assignment group and CI coverage', () => {
  const instances = defaultInstances();
  const [a, b, c, d] = instances;
  let s: Sandbox;

  beforeAll(async () => {
    s = await startSandbox({ instances, env: { CHANGE_REQUIRE_CI_COVERAGE: 'true', CHANGE_ASSIGNMENT_GROUPS: 'Platform Operations' } });
    // Affected CIs: two instances by instance id, one by its host name.
    s.serviceNow.setChange(changeInWindow(CHANGE, { change: { cis: [a?.instanceId ?? '', b?.instanceId ?? '', c?.computerName ?? ''] } }));
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses targets the change does not list, naming them; accepts covered ones and runs them', async () => {
    if (!a || !b || !c || !d) throw new Error('need four instances');
    const refused = await submitWith(s, instances);
    expect(refused.accepted).toBe(false);
    expect(refused.shown).toMatch(
      new RegExp(
        `does not list this instance as affected CIs: ${d.instanceId} \\(${d.computerName ?? ''}\\)\\. Add them to the change`,
        'u',
      ),
    );
    expect(refused.shown).not.toContain(a.instanceId);

    expect((await submitWith(s, [a, b, c])).accepted).toBe(true);
    const runId = await latestRunId(s);
    await approvalMessageFor(s, runId);
    await clickDecision(s, runId, USERS.approver);
    expect(await waitForRunStatus(s, runId, ['succeeded'])).toBe('succeeded');
    expect(
      s.aws
        .commands()
        .filter((cmd) => cmd.comment.includes(runId))
        .flatMap((cmd) => cmd.instanceIds)
        .sort(),
    ).toEqual([a, b, c].map((i) => i.instanceId).sort());
  });

  it('refuses a change assigned to another group', async () => {
    s.serviceNow.setChange(
      changeInWindow(CHANGE, {
        change: {
          assignment_group: { value: sysIdFor('group:DBA'), display_value: 'Database Team' },
          cis: instances.map((i) => i.instanceId),
        },
      }),
    );
    const refused = await submitWith(s, instances);
    expect(refused.accepted).toBe(false);
    expect(refused.shown).toMatch(
      /CHG0012345 is assigned to Database Team, not to Platform Operations\. Ask for the change to be assigned/u,
    );
  });
});
