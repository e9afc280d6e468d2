// Ambiguous SendCommand outcomes are reconciled, never blindly re-sent; throttling (30 % of SSM calls)
// slows a 500-instance run down but every instance still ends with its own correct result.
import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances, type FakeInstance, type SendCommandFailureMode } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, executionsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const withOwnOutput = (list: FakeInstance[]): FakeInstance[] =>
  list.map((i) => ({
    ...i,
    behavior: { status: 'Success' as const, stdout: `host ${i.instanceId}\nPCM_RESULT {"status":"ok","summary":"${i.instanceId}"}\n` },
  }));

const auditOf = async (h: Harness, runId: string) =>
  h.db.pool.anyFirst(sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} order by id`);

describe('executor: ambiguous SendCommand outcomes', () => {
  let h: Harness;
  // Three chunks in one account+region.
  const fleet = withOwnOutput(makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 120 }));
  beforeAll(async () => {
    // Dispatch one chunk at a time so the injected fault hits exactly one of them.
    h = await startHarness({ instances: fleet, limits: { perRegion: 1 }, settings: { reconcileGraceMs: 400 } });
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    h.aws.resetCalls();
  });

  const cases: readonly { mode: SendCommandFailureMode; created: boolean }[] = [
    { mode: 'accept-then-500', created: true },
    { mode: 'accept-then-drop', created: true },
    { mode: 'reject-500', created: false },
  ];
  for (const { mode, created } of cases) {
    it(`${mode}: ${created ? 'finds the command by its Comment and does not send it again' : 'waits out the grace period, then sends it once'}`, async () => {
      h.aws.failNextSendCommands(1, mode);
      const runId = await h.approveRun(fleet.map((i) => i.instanceId));
      expect(await h.waitForRun(runId)).toBe('succeeded');

      const commands = commandsOf(h, runId);
      expect(commands).toHaveLength(3);
      expect(new Set(commands.map((c) => c.comment))).toEqual(new Set([0, 1, 2].map((seq) => `pcm-ops ${runId} #${seq}`)));
      const sends = h.aws.calls.filter((c) => c.operation === 'SendCommand');
      // The SDK never retried a SendCommand (same invocation id, attempt 2): that would be a blind resend.
      for (const s of sends) expect(s.sdkAttempt).toBe(1);
      expect(sends).toHaveLength(created ? 3 : 4);
      expect(sends.filter((s) => s.status !== 200)).toHaveLength(1);

      const audit = await auditOf(h, runId);
      expect(audit.filter((a) => a === 'command_sent')).toHaveLength(created ? 2 : 3);
      expect(audit.filter((a) => a === 'command_reconciled')).toHaveLength(created ? 1 : 0);
      expect(audit.filter((a) => a === 'command_not_found')).toHaveLength(created ? 0 : 1);

      const rows = await executionsOf(h, runId);
      expect(rows).toHaveLength(120);
      for (const r of rows) {
        expect(r.status).toBe('success');
        expect(r.stdout).toContain(`host ${r.instance_id}`);
      }
    });
  }
});

describe('executor: throttling', () => {
  let h: Harness;
  const fleet = withOwnOutput([
    ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 200 }),
    ...makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 200 }),
    ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 100 }),
  ]);
  beforeAll(async () => {
    h = await startHarness({ instances: fleet, aws: { throttle: { rate: 0.3 }, seed: 7 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('with 30 % of SSM calls throttled, a 500-instance run still ends with every instance correct and nothing sent twice', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    expect(await h.waitForRun(runId, undefined, 60_000)).toBe('succeeded');

    const commands = commandsOf(h, runId);
    expect(commands).toHaveLength(10);
    expect(commands.flatMap((c) => c.instanceIds).sort()).toEqual(fleet.map((i) => i.instanceId).sort());
    const rows = await executionsOf(h, runId);
    expect(rows).toHaveLength(500);
    for (const r of rows) {
      expect(r.status).toBe('success');
      expect(r.stdout).toContain(`host ${r.instance_id}`);
    }
    const result = await h.db.pool.any(
      sql.type(
        z.object({ instance_id: z.string(), result: z.unknown() }),
      )`select instance_id, result from executions where run_id = ${runId}`,
    );
    for (const r of result) expect(r.result).toMatchObject({ summary: r.instance_id });

    const throttled = h.aws.calls.filter((c) => c.errorCode === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(10);
    // Throttled sends were repeated by the executor (new invocation, attempt 1), reads by the SDK as well.
    const sends = h.aws.calls.filter((c) => c.operation === 'SendCommand');
    expect(sends.filter((s) => s.errorCode === 'ThrottlingException').length).toBeGreaterThan(0);
    for (const s of sends) expect(s.sdkAttempt).toBe(1);
    expect(sends.filter((s) => s.status === 200)).toHaveLength(10);
    expect(h.aws.calls.some((c) => c.service === 'ssm' && (c.sdkAttempt ?? 1) > 1)).toBe(true);
  });
});

describe('executor: a deploy changes the script while a run is half sent', () => {
  let a: Harness;
  let b: Harness | undefined;
  const fleet = withOwnOutput(makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 200 }));
  beforeAll(async () => {
    // One SendCommand at a time, 60 ms each: four chunks take a quarter of a second to send.
    a = await startHarness({
      instances: fleet,
      limits: { global: 1, perRegion: 1 },
      aws: { latencyMs: { min: 60, max: 60 }, defaultRunMs: 300 },
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('the new version sends nothing more, follows what was sent to its end, and closes the rest as not sent', async () => {
    const runId = await a.approveRun(fleet.map((i) => i.instanceId));
    const deadline = Date.now() + 10_000;
    while (commandsOf(a, runId).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    // The old version shuts down as the bot does on SIGTERM (a grace lets the send in flight be answered and
    // recorded, then the lease is given back); the new one, with another script, takes over.
    await a.executor.stop(5_000);
    const sentByOld = commandsOf(a, runId).length;
    expect(sentByOld).toBeGreaterThan(0);
    expect(sentByOld).toBeLessThan(4);
    b = await startHarness({ instances: fleet, sharing: a, actions: (x) => ({ ...x, scriptSha256: 'f'.repeat(64) }) });

    expect(await b.waitForRun(runId)).toBe('partially_failed');
    expect(commandsOf(a, runId)).toHaveLength(sentByOld);
    const rows = await executionsOf(a, runId);
    const sentIds = new Set(commandsOf(a, runId).flatMap((c) => c.instanceIds));
    for (const r of rows) {
      if (sentIds.has(r.instance_id)) expect([r.instance_id, r.status]).toEqual([r.instance_id, 'success']);
      else expect([r.status, r.status_details]).toEqual(['not_sent', 'the script changed since approval']);
    }
    expect(b.notifier.calls.some((c) => c.kind === 'note' && c.text.includes('what was sent is followed to its end'))).toBe(true);
  });
});
