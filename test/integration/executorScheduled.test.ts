// Scheduled start (issue 10, item 3): a run approved before its change window opened waits (`scheduled`),
// is checked again against ServiceNow (the fake, with a short window) and dispatches when the window
// opens and not before; a freeze holds it, a cancel ends it, a change that closes meanwhile ends it.
import { sql } from 'slonik';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createChangeVerifier } from '../../src/changes/changeVerifier.ts';
import { createServiceNowClient } from '../../src/changes/serviceNowClient.ts';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { setFreeze } from '../../src/db/queries/settings.ts';
import { createRunCanceller } from '../../src/runs/cancelRun.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { changeInWindow, formatServiceNowDate } from '../../src/sandbox/servicenow/changeInWindow.ts';
import type { FakeChange } from '../../src/sandbox/servicenow/fakeServiceNowTypes.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';

const fleet = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 3 });
const ids = fleet.map((i) => i.instanceId);

let sn: FakeServiceNow;
let h: Harness;
let seq = 0;

const changes = new Map<string, FakeChange>();

/** A change in Implement whose window opens `inMs` from now (whole seconds, as ServiceNow stores them). */
const futureChange = (inMs: number, windowMs = 3_600_000): { number: string; start: Date } => {
  seq += 1;
  const number = `CHG00990${String(seq).padStart(2, '0')}`;
  const start = new Date(Math.ceil((Date.now() + inMs) / 1000) * 1000);
  const change: FakeChange = {
    ...changeInWindow(number),
    start_date: formatServiceNowDate(start),
    end_date: formatServiceNowDate(new Date(start.getTime() + windowMs)),
  };
  changes.set(number, change);
  sn.setChange(change);
  return { number, start };
};

const statusOf = (runId: string) =>
  h.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${runId}`);
const sendTimes = (runId: string) =>
  h.aws.calls.filter((c) => c.operation === 'SendCommand' && JSON.stringify(c.request).includes(runId)).map((c) => c.at);
/** The thread's text replies the run owes (the outbox rows written with its transitions). */
const threadTexts = async (runId: string) =>
  (await listOwed(h.db.pool, runId)).flatMap((o) => {
    const p = o.payload as { kind?: string; text?: string } | null;
    return o.kind === 'run_reply' && p?.kind === 'text' && p.text ? [p.text] : [];
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('executor: scheduled start', () => {
  beforeAll(async () => {
    sn = await startFakeServiceNow({ user: 'pcm.bot', password: 'pw' });
    h = await startHarness({
      instances: fleet,
      settings: { scheduleCheckMs: 300 },
      // The executor asks the fake ServiceNow (fail closed), like production.
      changes: (pool) =>
        createChangeVerifier({
          client: createServiceNowClient({
            url: sn.url,
            auth: { kind: 'basic', user: 'pcm.bot', password: 'pw' },
            timeoutMs: 1_000,
            attempts: 1,
          }),
          pool,
          rules: { allowedStates: ['implement', 'scheduled'], graceMinutes: 0 },
        }),
    });
  });
  afterAll(async () => {
    await h?.close();
    await sn?.close();
  });
  beforeEach(async () => {
    await setFreeze(h.db.pool, { on: false, by: 'U0ADMINUSR' });
  });

  it('dispatches when the window opens, not before', async () => {
    const { number, start } = futureChange(2_500);
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    await sleep(1_000);
    expect(await statusOf(runId)).toBe('scheduled');
    expect(sendTimes(runId)).toEqual([]);

    expect(await h.waitForRun(runId)).toBe('succeeded');
    const sends = sendTimes(runId);
    expect(sends).toHaveLength(1);
    expect(Math.min(...sends)).toBeGreaterThanOrEqual(start.getTime());
    expect((await executionsOf(h, runId)).map((e) => e.status)).toEqual(ids.map(() => 'success'));
    const audit = await h.db.pool.anyFirst(
      sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} order by id`,
    );
    expect(audit.filter((a) => a === 'schedule_due')).toHaveLength(1);
  });

  it('is held by a freeze at its window start and dispatches after the thaw while still in the window', async () => {
    const { number, start } = futureChange(1_500);
    await setFreeze(h.db.pool, { on: true, reason: 'incident', by: 'U0ADMINUSR' });
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    await sleep(Math.max(0, start.getTime() - Date.now()) + 1_500);
    expect(await statusOf(runId)).toBe('scheduled');
    expect(commandsOf(h, runId)).toHaveLength(0);
    // Said once in the thread, however many checks ran meanwhile.
    expect((await threadTexts(runId)).filter((t) => t.includes('change freeze is on'))).toHaveLength(1);

    await setFreeze(h.db.pool, { on: false, by: 'U0ADMINUSR' });
    expect(await h.waitForRun(runId)).toBe('succeeded');
    expect(commandsOf(h, runId)).toHaveLength(1);
  });

  it('a window that ends during a freeze ends the run: nothing sent, the reason in the thread', async () => {
    const { number, start } = futureChange(1_000, 2_000);
    await setFreeze(h.db.pool, { on: true, by: 'U0ADMINUSR' });
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    expect(await h.waitForRun(runId, ['failed'], 15_000)).toBe('failed');
    expect(commandsOf(h, runId)).toHaveLength(0);
    expect((await executionsOf(h, runId)).map((e) => e.status)).toEqual(ids.map(() => 'not_sent'));
    expect((await threadTexts(runId)).join('\n')).toMatch(/Not started; nothing was sent: .*window ended/u);
  });

  it('a change closed while it waits ends it before the window, with the reason in the thread', async () => {
    const { number, start } = futureChange(30_000);
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    await sleep(500);
    expect(await statusOf(runId)).toBe('scheduled');
    sn.setChange({ ...changes.get(number), number, state: '3' });
    expect(await h.waitForRun(runId, ['failed'], 10_000)).toBe('failed');
    expect(commandsOf(h, runId)).toHaveLength(0);
    expect((await threadTexts(runId)).join('\n')).toMatch(/Not started; nothing was sent: .*Closed/u);
    const owed = (await listOwed(h.db.pool, runId)).map((o) => (o.payload as { kind?: string } | null)?.kind ?? o.kind);
    expect(owed).toContain('summary');
  });

  it('fails closed: while ServiceNow does not answer at the window start the run waits; it starts once ServiceNow answers', async () => {
    const { number, start } = futureChange(1_000);
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    sn.setMode('down');
    try {
      await sleep(Math.max(0, start.getTime() - Date.now()) + 1_500);
      expect(await statusOf(runId)).toBe('scheduled');
      expect(commandsOf(h, runId)).toHaveLength(0);
    } finally {
      sn.setMode('up');
    }
    expect(await h.waitForRun(runId)).toBe('succeeded');
    expect(commandsOf(h, runId)).toHaveLength(1);
  });

  it('cancel ends a scheduled run at once; nothing is sent at its window', async () => {
    const { number, start } = futureChange(1_500);
    const runId = await h.approveRun(ids, { changeNumber: number, scheduledFor: start });
    const canceller = createRunCanceller({
      pool: h.db.pool,
      approversFor: async () => ({ members: new Set(['U0APPROVER']), verified: true }),
    });
    const result = await canceller.cancel({ runId, userId: 'U0REQUESTER' });
    expect(result).toMatchObject({ ok: true, outcome: 'cancelled' });
    expect(await statusOf(runId)).toBe('cancelled');
    await sleep(Math.max(0, start.getTime() - Date.now()) + 800);
    expect(await statusOf(runId)).toBe('cancelled');
    expect(commandsOf(h, runId)).toHaveLength(0);
    expect((await executionsOf(h, runId)).map((e) => e.status)).toEqual(ids.map(() => 'not_sent'));
  });
});
