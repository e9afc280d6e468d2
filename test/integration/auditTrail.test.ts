// The audit trail: append-only, and every transition the Slack-side services make is recorded with
// who, what, when, from → to, reason and the run's correlation id, so the trail replays to the run's status.
import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChangeVerifier } from '../../src/changes/changeVerifier.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import { canTransition, runStatuses, type RunStatus } from '../../src/domain/runStatus.ts';
import { insertRun } from '../../src/db/queries/runs.ts';
import { upsertChange } from '../../src/db/queries/changes.ts';
import { insertExecutions } from '../../src/db/queries/executions.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { createRunCanceller } from '../../src/runs/cancelRun.ts';
import { createRunDecider } from '../../src/runs/decideRun.ts';
import { createFreezeSwitch } from '../../src/runs/switchFreeze.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const CHANGE = 'CHG0012345';
const DIGEST = 'd'.repeat(64);
let db: TestDatabase;

const approvers = rosterOf(['U0APPROVER', 'U0SECOND']);
const okChange: ChangeVerifier = {
  verify: async (number) => ({
    ok: true,
    change: {
      sysId: 'a'.repeat(32),
      number,
      state: '-1',
      plannedStart: null,
      plannedEnd: null,
      assignmentGroup: null,
      assignmentGroupName: null,
      shortDescription: null,
    },
  }),
};

beforeAll(async () => {
  db = await createTestDatabase();
  await upsertScripts(db.pool, [
    { sha256: 'a'.repeat(64), tool: 'qc-prep', action: 'initial-qc', name: 'x', interpreter: 'bash', content: 'echo' },
  ]);
  await upsertChange(db.pool, {
    number: CHANGE,
    sysId: null,
    state: null,
    plannedStart: null,
    plannedEnd: null,
    assignmentGroup: null,
    shortDescription: null,
    verdict: 'ok',
  });
});
afterAll(async () => db?.drop());

const newRun = async (approvalsRequired = 1): Promise<{ id: string; correlationId: string }> => {
  const id = randomUUID();
  const correlationId = randomUUID();
  await db.pool.transaction(async (tx) => {
    await insertRun(tx, {
      id,
      tool: 'qc-prep',
      action: 'initial-qc',
      params: {},
      scriptSha256: 'a'.repeat(64),
      requesterId: 'U0REQUESTER',
      channelId: 'C0OPS',
      approvalChannelId: 'C0APP',
      changeNumber: CHANGE,
      planDigest: DIGEST,
      approvalsRequired,
      mutates: false,
      targetCount: 1,
      correlationId,
      approvalExpiresAt: new Date(Date.now() + 60_000),
    });
    await insertExecutions(tx, id, 'a'.repeat(64), [
      { instanceId: 'i-0000000000000000a', accountId: '111111111111', region: 'us-east-1', partition: 'aws' },
    ]);
    // What submitRun writes with the insert.
    await tx.query(sql.type(z.object({}))`
      insert into audit_events (run_id, actor, action, to_status, correlation_id) values (${id}, 'U0REQUESTER', 'requested', 'pending_approval', ${correlationId})`);
  });
  return { id, correlationId };
};

const eventRow = z.object({
  action: z.string(),
  actor: z.string(),
  at: z.number(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  reason: z.string().nullable(),
  correlation_id: z.string().nullable(),
});
const events = async (runId: string) =>
  db.pool.any(sql.type(eventRow)`
  select action, actor, at, from_status, to_status, reason, correlation_id from audit_events where run_id = ${runId} order by id`);

/** Replays the status changes of the trail: each from = the previous to, each allowed, ending at the run's status. */
const replay = async (runId: string): Promise<RunStatus[]> => {
  const status = await db.pool.oneFirst(sql.type(z.object({ status: z.enum(runStatuses) }))`select status from runs where id = ${runId}`);
  const moves = (await events(runId)).filter((e) => e.to_status !== null && e.to_status !== e.from_status);
  const path: RunStatus[] = [];
  for (const m of moves) {
    const to = m.to_status as RunStatus;
    const from = path.at(-1);
    if (from === undefined) expect(m.from_status).toBeNull();
    else {
      expect(m.from_status).toBe(from);
      expect(canTransition(from, to)).toBe(true);
    }
    path.push(to);
  }
  expect(path.at(-1)).toBe(status);
  return path;
};

describe('audit_events is append-only', () => {
  it('refuses update and delete, even to the bot', async () => {
    const { id } = await newRun();
    await expect(
      db.pool.query(sql.type(z.object({}))`update audit_events set actor = 'someone else' where run_id = ${id}`),
    ).rejects.toThrow(/append-only/u);
    await expect(db.pool.query(sql.type(z.object({}))`delete from audit_events where run_id = ${id}`)).rejects.toThrow(/append-only/u);
    expect((await events(id))[0]?.actor).toBe('U0REQUESTER');
  });
});

describe('every transition made from Slack is audited', () => {
  const decider = () => createRunDecider({ pool: db.pool, changes: okChange, approversFor: async () => approvers });

  it('approve (two approvals): each approval and the transition, by whom, with the correlation id', async () => {
    const { id, correlationId } = await newRun(2);
    const d = decider();
    expect(await d.approve({ runId: id, approverId: 'U0APPROVER', clickedDigest: DIGEST })).toMatchObject({ ok: true, final: false });
    expect(await d.approve({ runId: id, approverId: 'U0APPROVER', clickedDigest: DIGEST })).toMatchObject({
      ok: false,
      code: 'already_approved',
    });
    expect(await d.approve({ runId: id, approverId: 'U0SECOND', clickedDigest: DIGEST })).toMatchObject({ ok: true, final: true });
    const trail = await events(id);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['requested', 'U0REQUESTER'],
      ['approval_recorded', 'U0APPROVER'],
      ['approval_refused', 'U0APPROVER'],
      ['approval_recorded', 'U0SECOND'],
      ['approved', 'U0SECOND'],
    ]);
    expect(trail.every((e) => e.correlation_id === correlationId && e.at > 0)).toBe(true);
    expect(trail.find((e) => e.action === 'approval_refused')?.reason).toMatch(/different person/u);
    expect(await replay(id)).toEqual(['pending_approval', 'approved']);
  });

  it('reject keeps the reason; refused rejections are audited too', async () => {
    const { id } = await newRun();
    const d = decider();
    expect(await d.reject({ runId: id, approverId: 'U0OUTSIDER', reason: 'not mine' })).toMatchObject({ ok: false, code: 'not_approver' });
    expect(await d.reject({ runId: id, approverId: 'U0APPROVER', reason: 'wrong hosts' })).toMatchObject({ ok: true });
    expect(await d.reject({ runId: id, approverId: 'U0SECOND', reason: 'again' })).toMatchObject({ ok: false, code: 'not_pending' });
    const trail = await events(id);
    expect(trail.find((e) => e.action === 'rejected')).toMatchObject({
      actor: 'U0APPROVER',
      reason: 'wrong hosts',
      from_status: 'pending_approval',
      to_status: 'rejected',
    });
    expect(trail.filter((e) => e.action === 'rejection_refused').map((e) => e.actor)).toEqual(['U0OUTSIDER', 'U0SECOND']);
    expect(await replay(id)).toEqual(['pending_approval', 'rejected']);
  });

  it('cancel: pending → cancelled at once; approved → cancel_requested (the executor finishes it)', async () => {
    const c = createRunCanceller({ pool: db.pool, approversFor: async () => approvers });
    const pending = await newRun();
    expect(await c.cancel({ runId: pending.id, userId: 'U0REQUESTER' })).toMatchObject({ ok: true, outcome: 'cancelled' });
    expect(await replay(pending.id)).toEqual(['pending_approval', 'cancelled']);

    const approved = await newRun();
    await decider().approve({ runId: approved.id, approverId: 'U0APPROVER', clickedDigest: DIGEST });
    expect(await c.cancel({ runId: approved.id, userId: 'U0OUTSIDER' })).toMatchObject({ ok: false, code: 'not_allowed' });
    expect(await c.cancel({ runId: approved.id, userId: 'U0SECOND' })).toMatchObject({ ok: true, outcome: 'cancel_requested' });
    expect(await c.cancel({ runId: approved.id, userId: 'U0APPROVER' })).toMatchObject({ ok: false, code: 'cancel_already_requested' });
    const trail = await events(approved.id);
    expect(trail.find((e) => e.action === 'cancel_requested')).toMatchObject({
      actor: 'U0SECOND',
      from_status: 'approved',
      to_status: 'approved',
    });
    expect(trail.filter((e) => e.action === 'cancel_refused').map((e) => e.actor)).toEqual(['U0OUTSIDER', 'U0APPROVER']);
    const row = await db.pool.one(
      sql.type(
        z.object({ status: z.string(), cancel_requested_by: z.string().nullable() }),
      )`select status, cancel_requested_by from runs where id = ${approved.id}`,
    );
    expect(row).toEqual({ status: 'approved', cancel_requested_by: 'U0SECOND' });
    expect(await replay(approved.id)).toEqual(['pending_approval', 'approved']);
  });

  it('the freeze: who switched it, when and why, and who was refused (no run)', async () => {
    const f = createFreezeSwitch({ pool: db.pool, adminIds: ['U0ADMIN'], approvalChannelId: 'C0APPROVALS' });
    expect(await f.set({ userId: 'U0APPROVER', on: true, reason: 'x' })).toMatchObject({ ok: false, code: 'not_admin' });
    expect(await f.set({ userId: 'U0ADMIN', on: true, reason: '' })).toMatchObject({ ok: false, code: 'reason_required' });
    expect(await f.set({ userId: 'U0ADMIN', on: true, reason: 'quarter end' })).toMatchObject({ ok: true, changed: true });
    expect(await f.set({ userId: 'U0ADMIN', on: true, reason: 'quarter end' })).toMatchObject({ ok: true, changed: false });

    const { id } = await newRun();
    expect(await decider().approve({ runId: id, approverId: 'U0APPROVER', clickedDigest: DIGEST })).toMatchObject({
      ok: false,
      code: 'frozen',
    });
    expect(await f.set({ userId: 'U0ADMIN', on: false })).toMatchObject({ ok: true, changed: true });
    expect(await decider().approve({ runId: id, approverId: 'U0APPROVER', clickedDigest: DIGEST })).toMatchObject({
      ok: true,
      final: true,
    });

    const trail = await db.pool.any(sql.type(
      z.object({ action: z.string(), actor: z.string(), reason: z.string().nullable(), run_id: z.string().nullable() }),
    )`
      select action, actor, reason, run_id from audit_events where action like 'freeze_%' order by id`);
    expect(trail).toEqual([
      { action: 'freeze_refused', actor: 'U0APPROVER', reason: expect.stringMatching(/Only the bot admins/u), run_id: null },
      { action: 'freeze_refused', actor: 'U0ADMIN', reason: expect.stringMatching(/Say why/u), run_id: null },
      { action: 'freeze_on', actor: 'U0ADMIN', reason: 'quarter end', run_id: null },
      { action: 'freeze_off', actor: 'U0ADMIN', reason: 'quarter end', run_id: null },
    ]);
  });
});
