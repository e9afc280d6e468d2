// An account whose credentials fail at dispatch: its batches wait and are retried with backoff within the run's
// deadline (sent once the role works again), and otherwise are recorded not sent with that reason — never
// silently skipped, never holding up the other accounts.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const com = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 3 });
const gov = makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 2 });
const all = [...com, ...gov].map((i) => i.instanceId);

describe('executor: credentials that fail at dispatch', () => {
  let h: Harness;
  beforeAll(async () => {
    // A short run deadline: 30 s delivery (SSM's minimum) + 2 s execution - 20 s = 12 s after the plan.
    h = await startHarness({
      instances: [...com, ...gov],
      settings: { deadlineMarginMs: -20_000 },
      actions: (a) => ({ ...a, timeouts: { deliverySeconds: 30, executionSeconds: 2 } }) as typeof a,
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  const assumeRolesOf = (accountId: string) =>
    h.aws.calls.filter((c) => c.operation === 'AssumeRole' && (c.request as Record<string, string>).RoleArn?.includes(`::${accountId}:`));

  it('retries the failing account with backoff and sends once its role works again', async () => {
    h.aws.breakRoleTrust(ACCOUNTS.gov.id, true);
    const runId = await h.approveRun(all);
    const deadline = Date.now() + 10_000;
    while (assumeRolesOf(ACCOUNTS.gov.id).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // The commercial batch is not held up by the failing account.
    while (commandsOf(h, runId).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(commandsOf(h, runId).map((c) => c.accountId)).toEqual([ACCOUNTS.com.id]);
    h.aws.breakRoleTrust(ACCOUNTS.gov.id, false);
    expect(await h.waitForRun(runId, undefined, 30_000)).toBe('succeeded');
    expect(
      commandsOf(h, runId)
        .map((c) => c.accountId)
        .sort(),
    ).toEqual([ACCOUNTS.com.id, ACCOUNTS.gov.id].sort());
    expect(assumeRolesOf(ACCOUNTS.gov.id).filter((c) => c.status !== 200).length).toBeGreaterThanOrEqual(1);
  });

  it('records the batches not sent, with the reason, when the role keeps failing until the deadline', async () => {
    h.aws.breakRoleTrust(ACCOUNTS.gov.id, true);
    h.aws.resetCalls();
    const runId = await h.approveRun(all);
    expect(await h.waitForRun(runId, undefined, 40_000)).toBe('partially_failed');
    const rows = await executionsOf(h, runId);
    for (const r of rows.filter((x) => com.some((c) => c.instanceId === x.instance_id))) expect(r.status).toBe('success');
    const govRows = rows.filter((x) => gov.some((g) => g.instanceId === x.instance_id));
    expect(govRows).toHaveLength(2);
    for (const r of govRows) {
      expect(r.status).toBe('not_sent');
      expect(r.status_details).toMatch(/credentials for account prod-gov \(222222222222\) failed \(access_denied\)/u);
    }
    // Retried (with backoff), and nothing was ever sent to that account.
    expect(assumeRolesOf(ACCOUNTS.gov.id).length).toBeGreaterThanOrEqual(2);
    expect(commandsOf(h, runId).some((c) => c.accountId === ACCOUNTS.gov.id)).toBe(false);
    const audit = await h.db.pool.anyFirst(
      sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} and action = 'dispatch_refused'`,
    );
    expect(audit).toHaveLength(1);
    expect(
      h.notifier.calls.some((c) => c.kind === 'note' && c.runId === runId && /Nothing was sent to account prod-gov/u.test(c.text)),
    ).toBe(true);
    h.aws.breakRoleTrust(ACCOUNTS.gov.id, false);
  });
});
