// The plan digest is recomputed at dispatch (security review, finding 9d): a plan altered in the
// database between approval and dispatch is refused, fails closed with its reason, and nothing is sent.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { setFreeze } from '../../src/db/queries/settings.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const fleet = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 4 });
const [a, b, c, outsider] = fleet.map((i) => i.instanceId) as [string, string, string, string];

const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('executor: plan digest at dispatch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: fleet });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Approves a run while a freeze holds dispatch, lets `tamper` alter it, then lifts the freeze. */
  const tamperWhileHeld = async (tamper: (runId: string) => Promise<void>): Promise<string> => {
    await setFreeze(h.db.pool, { on: true, reason: 'hold', by: 'U0ADMINUSR' });
    const runId = await h.approveRun([a, b, c]);
    await waitUntil('dispatch is held', () =>
      h.notifier.calls.some((n) => n.kind === 'note' && n.runId === runId && n.text.includes('change freeze')),
    );
    await tamper(runId);
    await setFreeze(h.db.pool, { on: false, by: 'U0ADMINUSR' });
    h.executor.nudge(runId);
    expect(await h.waitForRun(runId)).toBe('failed');
    return runId;
  };

  const expectRefused = async (runId: string, reason: RegExp): Promise<void> => {
    expect(commandsOf(h, runId)).toHaveLength(0);
    expect(h.aws.calls.filter((x) => x.operation === 'SendCommand')).toHaveLength(0);
    for (const r of await executionsOf(h, runId)) {
      expect(r.status).toBe('not_sent');
      expect(r.status_details).toMatch(reason);
    }
    const audit = await h.db.pool.any(sql.type(z.object({ action: z.string(), reason: z.string().nullable() }))`
      select action, reason from audit_events where run_id = ${runId} and action = 'dispatch_refused'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.reason).toMatch(reason);
    const notes = h.notifier.calls.filter((n) => n.kind === 'note' && n.runId === runId);
    expect(notes.some((n) => n.kind === 'note' && /Dispatch refused/u.test(n.text) && reason.test(n.text))).toBe(true);
    expect(h.notifier.calls.filter((n) => n.runId === runId).at(-1)).toMatchObject({ kind: 'finished', status: 'failed' });
  };

  it('refuses a run whose parameters were changed in the database after approval', async () => {
    const runId = await tamperWhileHeld(async (id) => {
      await h.db.pool.query(sql.type(z.object({}))`update runs set params = params || '{"injected": "yes"}'::jsonb where id = ${id}`);
    });
    await expectRefused(runId, /differs from the approved one/u);
  });

  it('refuses a run one of whose targets was swapped for another instance', async () => {
    const runId = await tamperWhileHeld(async (id) => {
      await h.db.pool.query(
        sql.type(z.object({}))`update executions set instance_id = ${outsider} where run_id = ${id} and instance_id = ${c}`,
      );
    });
    await expectRefused(runId, /differs from the approved one/u);
  });

  it('refuses a planned batch that names an instance outside the approved targets', async () => {
    const runId = await tamperWhileHeld(async (id) => {
      await h.db.pool.query(sql.type(z.object({}))`
        update dispatch_chunks set instance_ids = array_replace(instance_ids, ${c}, ${outsider}) where run_id = ${id}`);
    });
    await expectRefused(runId, /outside the approved targets/u);
  });

  it('an untouched plan is dispatched as approved', async () => {
    const runId = await h.approveRun([a, b, c]);
    expect(await h.waitForRun(runId)).toBe('succeeded');
    expect(commandsOf(h, runId)).toHaveLength(1);
  });
});
