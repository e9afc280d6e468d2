// The change verifier (ServiceNow + rules + local record) against the fake ServiceNow and a real database.
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createChangeVerifier, type ChangeVerifierRules } from '../../src/changes/changeVerifier.ts';
import { createServiceNowClient } from '../../src/changes/serviceNowClient.ts';
import { insertChangeInstances } from '../../src/db/queries/changes.ts';
import { insertExecutions } from '../../src/db/queries/executions.ts';
import { upsertInstances } from '../../src/db/queries/instances.ts';
import { insertRun, transitionRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { changeInWindow, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const CHANGE = 'CHG0012345';
let sn: FakeServiceNow;
let db: TestDatabase;

beforeAll(async () => {
  [sn, db] = await Promise.all([startFakeServiceNow({ user: 'pcm.bot', password: 'pw' }), createTestDatabase()]);
});
afterAll(async () => {
  await Promise.all([sn.close(), db.drop()]);
});
beforeEach(() => {
  sn.setMode('up');
  sn.setChange(changeInWindow(CHANGE, { change: { cis: ['web-01', 'i-0000000000000000a'] } }));
});

const verifier = (rules: Partial<ChangeVerifierRules> = {}, password = 'pw') =>
  createChangeVerifier({
    client: createServiceNowClient({ url: sn.url, auth: { kind: 'basic', user: 'pcm.bot', password }, timeoutMs: 300, attempts: 1 }),
    pool: db.pool,
    rules: { allowedStates: ['implement', 'scheduled'], graceMinutes: 0, ...rules },
  });

const recorded = () =>
  db.pool.maybeOne(sql.type(z.object({ sys_id: z.string().nullable(), state: z.string().nullable(), last_verdict: z.string().nullable() }))`
    select sys_id, state, last_verdict from changes where number = ${CHANGE}`);

describe('change verification: the rules, against what ServiceNow says now', () => {
  it('passes a change in Implement inside its window and records it', async () => {
    const verdict = await verifier().verify(CHANGE);
    expect(verdict).toMatchObject({ ok: true, change: { number: CHANGE, sysId: sysIdFor(CHANGE) } });
    expect(await recorded()).toEqual({ sys_id: sysIdFor(CHANGE), state: '-1', last_verdict: 'ok' });
  });

  it('passes a change whose window opens later when the work may wait for it, with the start (scheduled start)', async () => {
    sn.setChange(changeInWindow(CHANGE, { hoursBefore: -2, hoursAfter: 4 }));
    const verdict = await verifier().verify(CHANGE, undefined, { allowScheduled: true });
    expect(verdict).toMatchObject({ ok: true, startsAt: expect.any(Date) });
    if (verdict.ok) expect(verdict.startsAt?.getTime()).toBe(verdict.change.plannedStart?.getTime());
    sn.setChange(changeInWindow(CHANGE));
    expect(await verifier().verify(CHANGE, undefined, { allowScheduled: true })).toMatchObject({ ok: true, startsAt: null });
  });

  it.each([
    ['closed', { state: '3' }, 'change_wrong_state', /Closed/u],
    ['canceled', { state: '4' }, 'change_wrong_state', /Canceled/u],
    ['still being authorised', { state: '-3' }, 'change_wrong_state', /Authorize/u],
    ['window not open yet', { hoursBefore: -2, hoursAfter: 4 }, 'change_not_started', /try again inside the window/u],
    ['window over', { hoursBefore: 5, hoursAfter: -1 }, 'change_window_over', /extend the change/u],
  ])('refuses a change that is %s', async (_name, o, code, message) => {
    sn.setChange(changeInWindow(CHANGE, o));
    const verdict = await verifier().verify(CHANGE);
    expect(verdict).toMatchObject({ ok: false, code });
    if (!verdict.ok) expect(verdict.message).toMatch(message);
    expect((await recorded())?.last_verdict).toBe(code);
  });

  it('refuses a change ServiceNow does not know', async () => {
    expect(await verifier().verify('CHG0000404')).toMatchObject({ ok: false, code: 'change_not_found' });
  });
});

describe('change verification fails closed when ServiceNow cannot answer', () => {
  it.each([
    ['down', () => sn.setMode('down'), 'servicenow_unavailable', /HTTP 503/u],
    ['malformed', () => sn.setMode('malformed', { malformed: 'wrong-shape' }), 'servicenow_unavailable', /malformed/u],
    ['slow', () => sn.setMode('slow', { slowMs: 1_000 }), 'servicenow_unavailable', /did not answer/u],
    ['rate limited', () => sn.rateLimitNext(5, 1), 'servicenow_unavailable', /rate limiting/u],
  ])('%s: a refusal that says to try again, never a pass', async (_name, fault, code, reason) => {
    fault();
    const verdict = await verifier().verify(CHANGE);
    expect(verdict).toMatchObject({ ok: false, code });
    if (!verdict.ok) {
      expect(verdict.message).toMatch(reason);
      expect(verdict.message).toMatch(/Nothing will run until it can; try again/u);
    }
    expect((await recorded())?.last_verdict).toBe(code);
    sn.rateLimitNext(0);
  });

  it('401: tells the person the bot is misconfigured', async () => {
    const verdict = await verifier({}, 'wrong').verify(CHANGE);
    expect(verdict).toMatchObject({ ok: false, code: 'servicenow_auth' });
    if (!verdict.ok) expect(verdict.message).toMatch(/Tell the bot's operators/u);
  });
});

describe('optional rules: assignment group and CI coverage', () => {
  it('assignment group: off by default, by name or sys_id when configured', async () => {
    expect((await verifier().verify(CHANGE)).ok).toBe(true);
    expect((await verifier({ requiredAssignmentGroups: ['platform operations'] }).verify(CHANGE)).ok).toBe(true);
    expect((await verifier({ requiredAssignmentGroups: [sysIdFor('group:Platform Operations')] }).verify(CHANGE)).ok).toBe(true);
    expect(await verifier({ requiredAssignmentGroups: ['Database Team'] }).verify(CHANGE)).toMatchObject({
      ok: false,
      code: 'change_wrong_group',
    });
  });

  it('CI coverage of the given targets (task_ci), by instance id or host name', async () => {
    const v = verifier({ requireCiCoverage: true });
    expect(
      (
        await v.verify(CHANGE, [
          { instanceId: 'i-0000000000000000a', computerName: null },
          { instanceId: 'i-0000000000000000b', computerName: 'web-01.corp' },
        ])
      ).ok,
    ).toBe(true);
    const refused = await v.verify(CHANGE, [{ instanceId: 'i-0000000000000000c', computerName: 'db-07' }]);
    expect(refused).toMatchObject({ ok: false, code: 'change_ci_not_covered' });
    if (!refused.ok) expect(refused.message).toContain('i-0000000000000000c (db-07)');
    // Off by default: the same targets pass.
    expect((await verifier().verify(CHANGE, [{ instanceId: 'i-0000000000000000c', computerName: 'db-07' }])).ok).toBe(true);
  });

  it('CI coverage before dispatch (no targets given): the targets of approved and running runs under the change', async () => {
    const script = { sha256: 'a'.repeat(64), tool: 't', action: 'a', name: 't/a.sh', interpreter: 'bash', content: 'echo' };
    await upsertScripts(db.pool, [script]);
    await upsertInstances(db.pool, [
      {
        instanceId: 'i-0000000000000000d',
        partition: 'aws',
        accountId: '111111111111',
        region: 'us-east-1',
        pingStatus: 'Online',
        platformType: 'Linux',
        platformName: null,
        computerName: 'web-01',
      },
    ]);
    const addRun = async (instanceId: string) => {
      const id = randomUUID();
      await insertRun(db.pool, {
        id,
        tool: 't',
        action: 'a',
        params: {},
        scriptSha256: script.sha256,
        requesterId: 'U0REQ',
        channelId: 'C0OPS',
        approvalChannelId: 'C0APP',
        changeNumber: CHANGE,
        planDigest: 'b'.repeat(64),
        approvalsRequired: 1,
        mutates: false,
        targetCount: 1,
        correlationId: randomUUID(),
        approvalExpiresAt: new Date(Date.now() + 60_000),
      });
      const target = { instanceId, accountId: '111111111111', region: 'us-east-1', partition: 'aws' as const };
      await insertExecutions(db.pool, id, script.sha256, [target]);
      await insertChangeInstances(db.pool, CHANGE, id, [target]);
      return id;
    };
    const v = verifier({ requireCiCoverage: true });
    const covered = await addRun('i-0000000000000000d'); // covered through its host name web-01
    await transitionRun(db.pool, covered, ['pending_approval'], 'approved');
    expect((await v.verify(CHANGE)).ok).toBe(true);
    // A pending request with an uncovered target is not about to be dispatched: not counted yet.
    const pending = await addRun('i-0000000000000000e');
    expect((await v.verify(CHANGE)).ok).toBe(true);
    await transitionRun(db.pool, pending, ['pending_approval'], 'approved');
    expect(await v.verify(CHANGE)).toMatchObject({ ok: false, code: 'change_ci_not_covered' });
  });
});
