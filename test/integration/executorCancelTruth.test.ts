// A cancel records only what SSM reported (security review, finding 10): when CancelCommand and the
// reads keep failing, an instance SSM reported Success stays success, and one SSM never confirmed is
// `cancel_unconfirmed`, never an invented `cancelled`.
import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const id = (n: number) => `i-0${n.toString(16).padStart(16, '0')}`;
// One account+region: a quick host and a slow one share a command (so the command is still running
// when the quick one has already succeeded); a second region finishes entirely before the cancel.
const QUICK = id(5001);
const SLOW = id(5002);
const OTHER = id(5003);
const fleet: FakeInstance[] = [
  { instanceId: QUICK, accountId: ACCOUNTS.com.id, region: 'us-east-1', behavior: { status: 'Success', stdout: 'ok\n', runMs: 20 } },
  { instanceId: SLOW, accountId: ACCOUNTS.com.id, region: 'us-east-1', behavior: { status: 'Success', stdout: 'ok\n', runMs: 600_000 } },
  { instanceId: OTHER, accountId: ACCOUNTS.com.id, region: 'us-west-2', behavior: { status: 'Success', stdout: 'ok\n', runMs: 20 } },
];

const waitUntil = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('executor: a cancel does not invent outcomes', () => {
  let h: Harness;
  beforeAll(async () => {
    // Per-instance detail of a running command is read only every minute: the quick host's success is
    // known to SSM but not yet to the database when the cancel arrives.
    h = await startHarness({ instances: fleet, settings: { detailRefreshMs: 60_000, cancelWaitMs: 300 }, readerMaxAttempts: 1 });
  });
  afterEach(() => {
    h.aws.failOperations([]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const startAndCancel = async (failing: readonly string[]): Promise<string> => {
    const runId = await h.approveRun([QUICK, SLOW, OTHER]);
    await waitUntil('both commands were sent', () => commandsOf(h, runId).length === 2);
    await waitUntil('SSM reports the quick host Success', () =>
      commandsOf(h, runId).some((c) => h.aws.invocations(c.commandId).some((i) => i.instanceId === QUICK && i.status === 'Success')),
    );
    await waitUntil('the other region was collected', async () =>
      (await executionsOf(h, runId)).some((r) => r.instance_id === OTHER && r.status === 'success'),
    );
    h.aws.failOperations(failing);
    await h.db.pool.query(
      sql.type(z.object({}))`update runs set cancel_requested_by = 'U0CANCELLER' where id = ${runId} and status = 'running'`,
    );
    h.executor.nudge(runId);
    expect(await h.waitForRun(runId)).toBe('cancelled');
    return runId;
  };

  it('CancelCommand keeps failing: what SSM reported Success stays success, the still-running host is unconfirmed', async () => {
    const runId = await startAndCancel(['CancelCommand']);
    const rows = new Map((await executionsOf(h, runId)).map((r) => [r.instance_id, r]));
    expect(rows.get(QUICK)?.status).toBe('success');
    expect(rows.get(OTHER)?.status).toBe('success');
    expect(rows.get(SLOW)?.status).toBe('cancel_unconfirmed');
    expect(rows.get(SLOW)?.status_details).toMatch(/SSM never confirmed/u);

    const calls = h.notifier.calls.filter((c) => c.runId === runId);
    const notes = calls.flatMap((c) => (c.kind === 'note' ? [c.text] : []));
    expect(notes.some((t) => /1 instance\(s\) unconfirmed/u.test(t))).toBe(true);
    expect(calls.at(-1)).toMatchObject({ kind: 'finished', status: 'cancelled', counts: { success: 2, cancel_unconfirmed: 1 } });
    expect(calls.at(-1)).not.toMatchObject({ counts: { cancelled: expect.any(Number) } });
  });

  it('CancelCommand and the invocation reads keep failing: nothing SSM did not report is recorded', async () => {
    const runId = await startAndCancel(['CancelCommand', 'ListCommandInvocations', 'GetCommandInvocation']);
    const rows = new Map((await executionsOf(h, runId)).map((r) => [r.instance_id, r]));
    // Collected before the outage: stays what SSM reported.
    expect(rows.get(OTHER)?.status).toBe('success');
    // SSM had them (Success, InProgress) but could not tell us: unconfirmed, not cancelled.
    expect(rows.get(QUICK)?.status).toBe('cancel_unconfirmed');
    expect(rows.get(SLOW)?.status).toBe('cancel_unconfirmed');
    const audit = await h.db.pool.one(sql.type(z.object({ data: z.record(z.string(), z.unknown()) }))`
      select data from audit_events where run_id = ${runId} and action = 'cancelled'`);
    expect(audit.data).toMatchObject({ unconfirmed: 2, counts: { success: 1, cancel_unconfirmed: 2 } });
  });
});
