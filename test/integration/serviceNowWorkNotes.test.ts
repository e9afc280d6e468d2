// Work notes: the notifier queues, the writer sends to the fake ServiceNow, retries, and never blocks a run.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServiceNowClient } from '../../src/changes/serviceNowClient.ts';
import { createWorkNoteNotifier } from '../../src/changes/workNoteNotifier.ts';
import { createWorkNoteWriter, type WorkNoteWriter } from '../../src/changes/workNoteWriter.ts';
import { insertApproval } from '../../src/db/queries/approvals.ts';
import { listRunAudit } from '../../src/db/queries/audit.ts';
import { upsertChange } from '../../src/db/queries/changes.ts';
import { insertExecutions } from '../../src/db/queries/executions.ts';
import { claimRuns, setRunMessage, transitionRun } from '../../src/db/queries/runs.ts';
import { listWorkNotes } from '../helpers/workNotes.ts';
import { loadRegistry, type ToolRegistry } from '../../src/tools/registry.ts';
import { changeInWindow, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { insertTestRun } from '../helpers/insertTestRun.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const CHANGE = 'CHG0012345';
let sn: FakeServiceNow;
let db: TestDatabase;
let registry: ToolRegistry;
const logger = pino({ level: 'silent' });
const links = {
  permalink: async (channel: string, ts: string) => `https://fake.slack.example/archives/${channel}/p${ts.replace('.', '')}`,
  userLabel: async (id: string) => `Person ${id.slice(-4)} (${id})`,
};

beforeAll(async () => {
  [sn, db, registry] = await Promise.all([
    startFakeServiceNow({ user: 'pcm.bot', password: 'pw', changes: [changeInWindow(CHANGE)] }),
    createTestDatabase(),
    loadRegistry(),
  ]);
  await upsertChange(db.pool, {
    number: CHANGE,
    sysId: sysIdFor(CHANGE),
    state: '-1',
    plannedStart: null,
    plannedEnd: null,
    assignmentGroup: null,
    shortDescription: null,
    verdict: 'ok',
  });
});
afterAll(async () => {
  await Promise.all([sn.close(), db.drop()]);
});
beforeEach(() => sn.setMode('up'));

/** A run of qc-prep/initial-qc on two instances, approved by U0APPROVER and claimed (started). */
const startedRun = async (): Promise<string> => {
  const id = await insertTestRun(db.pool, registry, { channelId: 'C0OPS', approvalChannelId: 'C0APP', changeNumber: CHANGE });
  const scriptSha256 = registry.action('qc-prep', 'initial-qc')?.scriptSha256 ?? '';
  await insertExecutions(db.pool, id, scriptSha256, [
    { instanceId: 'i-0000000000000000a', accountId: '111111111111', region: 'us-east-1', partition: 'aws' },
    { instanceId: 'i-0000000000000000b', accountId: '111111111111', region: 'us-east-1', partition: 'aws' },
  ]);
  await setRunMessage(db.pool, id, 'C0OPS', '1764130000.000100');
  await insertApproval(db.pool, { runId: id, approverId: 'U0APPROVER', decision: 'approved', reason: null, planDigest: 'b'.repeat(64) });
  await transitionRun(db.pool, id, ['pending_approval'], 'approved');
  const claimed = await claimRuns(db.pool, { owner: 'test', leaseSeconds: 30, limit: 10, exclude: [] });
  expect(claimed.map((r) => r.id)).toContain(id);
  return id;
};

const writer = (o: { maxAttempts?: number } = {}): WorkNoteWriter =>
  createWorkNoteWriter({
    pool: db.pool,
    registry,
    links,
    logger,
    retryBaseSeconds: 0.05,
    maxRetrySeconds: 0.05,
    maxAttempts: o.maxAttempts ?? 10,
    client: createServiceNowClient({ url: sn.url, auth: { kind: 'basic', user: 'pcm.bot', password: 'pw' }, timeoutMs: 500, attempts: 1 }),
  });

/** Drains until `done()` or the deadline: retries become due a few tens of milliseconds after a failure. */
const drainUntil = async (w: WorkNoteWriter, done: () => Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('work notes not written in time');
    await w.drain();
    await new Promise((r) => setTimeout(r, 20));
  }
};

const notesFor = (runId: string) => sn.workNotes(CHANGE).filter((n) => n.includes(runId));

describe('ServiceNow work notes for a run', () => {
  it('writes a note when the run starts and when it ends: tool, action, approver, counts, Slack thread', async () => {
    const runId = await startedRun();
    const notifier = createWorkNoteNotifier({ pool: db.pool, logger });
    const w = writer();
    await notifier.runStarted({ runId });
    await notifier.runProgress({ runId }, { success: 1 }, 2);
    await notifier.runFinished({ runId }, 'partially_failed', { success: 1, failed: 1 }, []);
    await w.drain();

    const [started, finished] = notesFor(runId);
    expect(notesFor(runId)).toHaveLength(2);
    for (const note of [started, finished]) {
      expect(note).toContain('Linux QC Patching Prep (qc-prep)');
      expect(note).toContain('Initial QC (initial-qc)');
      expect(note).toContain('approved by: Person OVER (U0APPROVER)');
      expect(note).toContain('Requested by: Person STER (U0REQUESTER)');
      expect(note).toContain('https://fake.slack.example/archives/C0OPS/p1764130000000100');
    }
    expect(started).toContain(`Run ${runId} started`);
    expect(started).toContain('Targets: 2 instance(s)');
    expect(finished).toContain(`Run ${runId} finished: partially failed`);
    expect(finished).toContain('Results: failed 1, success 1 (of 2 instance(s))');
    expect(sn.change(CHANGE)?.workNotes.at(-1)?.by).toBe('pcm.bot');

    // Each written once, and audited.
    await notifier.runFinished({ runId }, 'partially_failed', { success: 1, failed: 1 }, []);
    await w.drain();
    expect(notesFor(runId)).toHaveLength(2);
    const audit = await listRunAudit(db.pool, runId);
    expect(audit.filter((a) => a.action === 'work_note_written')).toHaveLength(2);
  });

  it('ServiceNow down: the notifier returns at once, the note is retried until it is written, in order', async () => {
    const runId = await startedRun();
    const notifier = createWorkNoteNotifier({ pool: db.pool, logger });
    const w = writer();
    sn.setMode('down');
    await notifier.runStarted({ runId });
    await notifier.runFinished({ runId }, 'succeeded', { success: 2 }, []);
    await w.drain();
    const pending = await listWorkNotes(db.pool, runId);
    expect(pending.map((n) => [n.kind, n.attempts, n.written_at])).toEqual([
      ['started', 1, null],
      ['finished', 0, null],
    ]);
    expect(pending[0]?.last_error).toMatch(/HTTP 503/u);
    expect(notesFor(runId)).toHaveLength(0);

    sn.setMode('up');
    await drainUntil(w, async () => (await listWorkNotes(db.pool, runId)).every((n) => n.written_at !== null));
    const notes = notesFor(runId);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('started');
    expect(notes[1]).toContain('finished: succeeded');
  });

  it('gives up after the last attempt, keeps the error and audits it', async () => {
    const runId = await startedRun();
    const w = writer({ maxAttempts: 2 });
    sn.setMode('malformed');
    await createWorkNoteNotifier({ pool: db.pool, logger }).runStarted({ runId });
    await drainUntil(w, async () => (await listWorkNotes(db.pool, runId)).every((n) => n.failed_at !== null));
    const [note] = await listWorkNotes(db.pool, runId);
    expect(note).toMatchObject({ attempts: 2, written_at: null });
    const audit = await listRunAudit(db.pool, runId);
    expect(audit.find((a) => a.action === 'work_note_failed')?.reason).toBeTruthy();
  });

  it('requests that never started get no note', async () => {
    const id = await insertTestRun(db.pool, registry, {
      channelId: 'C0OPS',
      approvalChannelId: 'C0APP',
      changeNumber: CHANGE,
      targetCount: 1,
      approvalExpiresAt: new Date(Date.now() - 1_000),
    });
    await createWorkNoteNotifier({ pool: db.pool, logger }).runFinished({ runId: id }, 'expired', {}, []);
    expect(await listWorkNotes(db.pool, id)).toHaveLength(0);
  });

  it('a notifier whose database is gone does not throw into the executor', async () => {
    const broken = await createTestDatabase();
    await broken.drop();
    const notifier = createWorkNoteNotifier({ pool: broken.pool, logger });
    await expect(notifier.runStarted({ runId: randomUUID() })).resolves.toBeUndefined();
  });
});
