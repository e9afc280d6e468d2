// Stopping a run: a cancel asked for through runs.cancel_requested_by (what the Slack side sets), and
// the run-level deadline that ends stragglers.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const id = (n: number) => `i-0${n.toString(16).padStart(16, '0')}`;
// Per account+region: 10 quick hosts and 10 that would run for a minute.
const fleet: FakeInstance[] = [
  [ACCOUNTS.com.id, 'us-east-1'],
  [ACCOUNTS.gov.id, 'us-gov-west-1'],
].flatMap(([accountId, region], g) =>
  Array.from({ length: 20 }, (_, n) => ({
    instanceId: id(1000 * (g + 1) + n),
    accountId: accountId ?? '',
    region: region ?? '',
    behavior: { status: 'Success' as const, stdout: 'ok\n', runMs: n < 10 ? 30 : 60_000 },
  })),
);
const quick = new Set(fleet.filter((_, n) => n % 20 < 10).map((i) => i.instanceId));

const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const quickOnesDone = (h: Harness, runId: string) => async () =>
  (await executionsOf(h, runId)).filter((r) => quick.has(r.instance_id) && r.status === 'success').length === quick.size;

describe('executor: cancel and deadline', () => {
  let h: Harness;
  beforeAll(async () => {
    // Per-instance detail every 100 ms, so the quick hosts' results are stored while their command still runs.
    h = await startHarness({ instances: fleet, aws: { deliveryMs: 100 }, settings: { detailRefreshMs: 100 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a cancel set on the run row cancels every sent command, keeps what finished, and records what SSM reports', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    await waitUntil('the quick hosts finished', quickOnesDone(h, runId));

    await h.db.pool.query(
      sql.type(
        z.object({}),
      )`update runs set cancel_requested_by = 'U0CANCELLER' where id = ${runId} and status = 'running' and cancel_requested_by is null`,
    );
    h.executor.nudge(runId);
    expect(await h.waitForRun(runId)).toBe('cancelled');

    const commands = commandsOf(h, runId);
    expect(commands).toHaveLength(2);
    const cancels = h.aws.calls.filter((c) => c.operation === 'CancelCommand');
    expect(cancels).toHaveLength(2);
    expect(cancels.map((c) => (c.request as { CommandId: string }).CommandId).sort()).toEqual(commands.map((c) => c.commandId).sort());
    for (const c of cancels) expect(c.status).toBe(200);

    for (const r of await executionsOf(h, runId)) {
      if (quick.has(r.instance_id)) expect([r.instance_id, r.status]).toEqual([r.instance_id, 'success']);
      // Cancelling first (not final, so the executor kept polling), then Cancelled as SSM reported it.
      else
        expect([r.instance_id, r.status, r.ssm_status, r.status_details]).toEqual([r.instance_id, 'cancelled', 'Cancelled', 'Cancelled']);
    }
    const calls = h.notifier.calls.filter((c) => c.runId === runId);
    expect(calls.filter((c) => c.kind === 'note').map((c) => (c.kind === 'note' ? c.text : ''))).toEqual([
      ':octagonal_sign: Cancelled by <@U0CANCELLER>: 2 command(s) cancelled in SSM.',
    ]);
    expect(calls.at(-1)).toMatchObject({ kind: 'finished', status: 'cancelled', counts: { success: 20, cancelled: 20 } });
    // The running → cancelled transition is one audit event, by the canceller, written with the transition.
    const audit = await h.db.pool.any(
      sql.type(
        z.object({ actor: z.string(), action: z.string() }),
      )`select actor, action from audit_events where run_id = ${runId} and to_status = 'cancelled' order by id`,
    );
    expect(audit).toEqual([{ actor: 'U0CANCELLER', action: 'cancelled' }]);
    const run = await h.db.pool.one(
      sql.type(
        z.object({ lease_owner: z.string().nullable(), finished_at: z.number().nullable() }),
      )`select lease_owner, finished_at from runs where id = ${runId}`,
    );
    expect(run.lease_owner).toBeNull();
    expect(run.finished_at).not.toBeNull();
  });

  it('a cancel that arrives before anything was sent sends nothing', async () => {
    const before = h.aws.calls.filter((c) => c.operation === 'SendCommand').length;
    // Approved and cancelled in one go (the Slack side may cancel an approved run the executor has not claimed yet).
    const runId = await h.approveRun([id(1000), id(2000)], { cancelBy: 'U0CANCELLER' });
    expect(await h.waitForRun(runId)).toBe('cancelled');
    expect(h.aws.calls.filter((c) => c.operation === 'SendCommand')).toHaveLength(before);
    for (const r of await executionsOf(h, runId))
      expect([r.status, r.status_details]).toEqual(['not_sent', 'cancelled by U0CANCELLER before anything was sent']);
    expect(h.notifier.calls.filter((c) => c.runId === runId).map((c) => c.kind)).toEqual(['note', 'finished']);
  });

  it('at the run deadline, keeps finished results, cancels the stragglers and records them as timed out', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    await waitUntil('the quick hosts finished', quickOnesDone(h, runId));
    const cancelsBefore = h.aws.calls.filter((c) => c.operation === 'CancelCommand').length;

    // The deadline (delivery + execution timeout + margin, set when the run was planned) has passed.
    await h.db.pool.query(sql.type(z.object({}))`update runs set deadline_at = now() - interval '1 second' where id = ${runId}`);
    expect(await h.waitForRun(runId)).toBe('partially_failed');

    const commands = commandsOf(h, runId);
    const cancels = h.aws.calls.filter((c) => c.operation === 'CancelCommand').slice(cancelsBefore);
    expect(cancels.map((c) => (c.request as { CommandId: string }).CommandId).sort()).toEqual(commands.map((c) => c.commandId).sort());
    for (const r of await executionsOf(h, runId)) {
      if (quick.has(r.instance_id)) expect(r.status).toBe('success');
      else expect([r.status, r.status_details]).toEqual(['timed_out', 'run deadline reached']);
    }
    const calls = h.notifier.calls.filter((c) => c.runId === runId);
    expect(calls.some((c) => c.kind === 'note' && c.text.includes('deadline was reached: 20 instance(s)'))).toBe(true);
    expect(calls.at(-1)).toMatchObject({ kind: 'finished', status: 'partially_failed', counts: { success: 20, timed_out: 20 } });
  });
});
