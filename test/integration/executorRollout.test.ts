// Rollout control (issue 10): a Kernel Staging over a fleet in three account/regions in both partitions goes out
// canary first, then in waves, under a fleet-wide error budget; the executor halts the run when the canary fails
// or the budget is spent, and Continue (an approver, never the requester) or Stop decides what happens next.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assignWaves, type RolloutPolicy } from '../../src/domain/rolloutPolicy.ts';
import { rosterOf } from '../../src/domain/roster.ts';
import { listOwed } from '../../src/db/queries/outbox.ts';
import { getRun } from '../../src/db/queries/runs.ts';
import { createRunContinuer } from '../../src/runs/continueRun.ts';
import { createRunStopper } from '../../src/runs/stopRun.ts';
import { createRunSubmitter } from '../../src/runs/submitRun.ts';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { createTargetResolver } from '../../src/inventory/resolveTargets.ts';
import { planDigest } from '../../src/domain/planDigest.ts';
import { listRunTargets } from '../../src/db/queries/executions.ts';
import { listResultRows } from '../../src/db/queries/runFiles.ts';
import { findActiveMutatingLocks } from '../../src/db/queries/targeting.ts';
import { resultsCsv } from '../../src/domain/resultsCsv.ts';
import { approvalMessage } from '../../src/slack/blocks/approvalMessage.ts';
import { requestModal } from '../../src/slack/blocks/requestModal.ts';
import { readRequestState } from '../../src/slack/blocks/readRequestState.ts';
import { runDetailsMessage } from '../../src/slack/blocks/runDetails.ts';
import { runMessage } from '../../src/slack/blocks/runMessage.ts';
import { loadRunDetails } from '../../src/slack/loadRunDetails.ts';
import { loadTargetGroups, toRunView } from '../../src/slack/loadRunView.ts';
import { validateMessageBlocks, validateView } from '../../src/sandbox/slack/blockKitLimits.ts';
import { CHANGE } from '../helpers/sandbox.ts';
import { stateValuesForBlocks } from '../helpers/slackPayloads.ts';
import { makeInstances, type FakeInstance } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, startHarness, TARGETS, type Harness } from '../helpers/executorHarness.ts';

const KERNEL = { targetKernel: '5.14.0-427.13.1.el9_4.x86_64' };
const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const approversFor = async () => rosterOf([APPROVER, REQUESTER]);

const ok = (id: string) => ({
  status: 'Success' as const,
  runMs: 60,
  stdout: `staged on ${id}\nPCM_RESULT {"status":"ok","summary":"staged"}\n`,
});
const broken = (id: string) => ({
  status: 'Failed' as const,
  runMs: 60,
  stdout: `no package on ${id}\nPCM_RESULT {"status":"fail","summary":"kernel package not found"}\n`,
});

// 1,000 instances: two commercial account/regions and one GovCloud one.
const fleet: FakeInstance[] = [
  ...makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 400 }),
  ...makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 300 }),
  ...makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 300 }),
];
const ids = fleet.map((i) => i.instanceId);
const partitionOf = new Map(Object.values(ACCOUNTS).map((a) => [a.id, a.partition]));
const located = fleet.map((i) => ({
  instanceId: i.instanceId,
  accountId: i.accountId,
  region: i.region,
  partition: partitionOf.get(i.accountId) ?? 'aws',
}));
// The defaults of Kernel Staging.
const DEFAULTS: RolloutPolicy = { canary: { perScope: 1 }, wave: { percent: 10 }, budget: { percent: 5 } };
const wavesOf = assignWaves(located, DEFAULTS);
const inWave = (w: number) => ids.filter((id) => wavesOf.get(id) === w);

const sentIds = (h: Harness, runId: string) => commandsOf(h, runId).flatMap((c) => c.instanceIds);
const auditOf = async (h: Harness, runId: string) =>
  h.db.pool.any(sql.type(z.object({ actor: z.string(), action: z.string(), data: z.unknown() }))`
    select actor, action, data from audit_events where run_id = ${runId} order by id`);
const chunkWaves = async (h: Harness, runId: string) =>
  h.db.pool.any(sql.type(z.object({ wave: z.number().nullable(), status: z.string() }))`
    select wave, status from dispatch_chunks where run_id = ${runId} order by seq`);

describe('rollout: canary, waves and a fleet-wide error budget', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: fleet });
  });
  afterAll(async () => {
    await h?.close();
  });
  const setFleet = (behavior: (id: string) => ReturnType<typeof ok> | ReturnType<typeof broken>) => {
    for (const id of ids) h.aws.setBehavior(id, behavior(id));
  };

  it('a run where every host after the canary fails halts after the first wave, then Continue resumes and Stop ends it', async () => {
    const canary = new Set(inWave(0));
    expect(canary.size).toBe(3);
    expect(inWave(1)).toHaveLength(100);
    setFleet((id) => (canary.has(id) ? ok(id) : broken(id)));

    const runId = await h.approveRun(ids, { action: 'kernel-staging', params: KERNEL });
    expect(await h.waitForRun(runId, ['halted', 'succeeded', 'failed', 'partially_failed'])).toBe('halted');

    // At most the canary and one wave ever received a command, and each wave was sent after the one before ended.
    const sent = sentIds(h, runId);
    expect(sent.length).toBeLessThanOrEqual(3 + 100);
    expect(new Set(sent)).toEqual(new Set([...inWave(0), ...inWave(1)]));
    const chunks = await chunkWaves(h, runId);
    expect(chunks.filter((c) => c.wave !== null && c.wave >= 2).every((c) => c.status === 'planned')).toBe(true);
    const canaryCommands = commandsOf(h, runId).filter((c) => c.instanceIds.every((id) => canary.has(id)));
    const waveCommands = commandsOf(h, runId).filter((c) => c.instanceIds.every((id) => !canary.has(id)));
    expect(canaryCommands).toHaveLength(3);
    expect(waveCommands.length).toBeGreaterThan(0);

    const run = await getRun(h.db.pool, runId);
    expect(run?.lease_owner).toBeNull();
    expect(run?.halt).toEqual({ reason: 'budget', afterWave: 1, failed: 100, finished: 103, budget: 50 });
    const owed = await listOwed(h.db.pool, runId);
    expect(owed.map((o) => o.payload)).toContainEqual({ kind: 'halted', halt: run?.halt });
    expect((await auditOf(h, runId)).filter((a) => a.action === 'halted')).toEqual([
      expect.objectContaining({ actor: 'executor', data: expect.objectContaining({ planDigest: run?.plan_digest, failed: 100 }) }),
    ]);

    // Halted, nothing more is sent, whatever the executor does meanwhile.
    await new Promise((r) => setTimeout(r, 400));
    expect(sentIds(h, runId)).toHaveLength(sent.length);
    // No driver holds it (nothing polls a halted run); the executor's claim loop leaves it alone.
    expect(h.executor.activeRuns()).not.toContain(runId);
    expect((await getRun(h.db.pool, runId))?.lease_owner).toBeNull();

    // While it waits for a person it holds the hosts it has yet to touch, not the ones that failed (they can be re-run).
    const failedHost = inWave(1)[0]!;
    const untouched = inWave(5)[0]!;
    expect((await findActiveMutatingLocks(h.db.pool, [failedHost, untouched])).map((l) => l.instanceId)).toEqual([untouched]);

    // The requester cannot continue their own run: refused, audited.
    const continuer = createRunContinuer({ pool: h.db.pool, approversFor, onContinued: () => h.executor.wake() });
    const refused = await continuer.continue({ runId, userId: REQUESTER });
    expect(refused).toMatchObject({ ok: false, code: 'requester_cannot_continue' });
    expect((await getRun(h.db.pool, runId))?.status).toBe('halted');
    expect((await auditOf(h, runId)).filter((a) => a.action === 'continue_refused')).toEqual([
      expect.objectContaining({ actor: REQUESTER, data: expect.objectContaining({ planDigest: run?.plan_digest }) }),
    ]);
    // Someone who is no approver cannot either.
    expect(await continuer.continue({ runId, userId: 'U0STRANGER' })).toMatchObject({ ok: false, code: 'not_allowed' });

    // Halted for longer than the first wave's deadline: the next wave gets its own.
    await h.db.pool.query(sql.type(z.object({}))`update runs set deadline_at = now() - interval '1 hour' where id = ${runId}`);

    // An approver continues: the failures so far are accepted, wave 2 goes out, fails too, and the run halts again.
    const continued = await continuer.continue({ runId, userId: APPROVER });
    expect(continued).toMatchObject({ ok: true });
    expect((await auditOf(h, runId)).filter((a) => a.action === 'continued')).toEqual([
      expect.objectContaining({ actor: APPROVER, data: expect.objectContaining({ planDigest: run?.plan_digest, failuresAccepted: 100 }) }),
    ]);
    await h.waitForRun(runId, ['running', 'halted']);
    const deadline = Date.now() + 20_000;
    while (sentIds(h, runId).length < 203 || (await getRun(h.db.pool, runId))?.status !== 'halted') {
      if (Date.now() > deadline) throw new Error('the second wave did not go out and halt');
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(new Set(sentIds(h, runId))).toEqual(new Set([...inWave(0), ...inWave(1), ...inWave(2)]));
    expect((await getRun(h.db.pool, runId))?.halt).toEqual({ reason: 'budget', afterWave: 2, failed: 200, finished: 203, budget: 50 });
    expect((await auditOf(h, runId)).filter((a) => a.action === 'deadline_reached' || a.action === 'finished')).toEqual([]);

    // Stop: the run ends, the rest is never sent.
    const stopper = createRunStopper({ pool: h.db.pool, approversFor });
    expect(await stopper.stop({ runId, userId: REQUESTER })).toMatchObject({ ok: true });
    const stopped = await getRun(h.db.pool, runId);
    expect(stopped?.status).toBe('stopped');
    expect(stopped?.finished_at).not.toBeNull();
    const notSent = await h.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      select count(*)::int as n from executions where run_id = ${runId} and status = 'not_sent'`);
    expect(notSent).toBe(1000 - 203);
    expect((await chunkWaves(h, runId)).some((c) => c.status === 'planned')).toBe(false);
    expect(await continuer.continue({ runId, userId: APPROVER })).toMatchObject({ ok: false, code: 'not_halted' });
    expect(await stopper.stop({ runId, userId: APPROVER })).toMatchObject({ ok: false, code: 'not_halted' });
    await new Promise((r) => setTimeout(r, 300));
    expect(sentIds(h, runId)).toHaveLength(203);
    expect((await listOwed(h.db.pool, runId)).map((o) => o.payload)).toContainEqual(
      expect.objectContaining({
        kind: 'summary',
        status: 'stopped',
        // Grouped by cause (hosts SSM stopped under the command's MaxErrors are `terminated`, not a cause group).
        causes: [expect.objectContaining({ cause: 'kernel package not found', status: 'failed' })],
        causeCount: 1,
      }),
    );

    // Honest wave accounting: the results CSV says which wave each instance was in (0: the canary).
    const [header, ...lines] = resultsCsv(await listResultRows(h.db.pool, runId))
      .split('\r\n')
      .filter((l) => l !== '');
    const columns = header!.split(',');
    const cell = (line: string, name: string): string => line.split(',')[columns.indexOf(name)]!;
    expect(columns).toContain('wave');
    expect(lines).toHaveLength(1000);
    const waveOf = new Map(lines.map((l) => [cell(l, 'instance_id'), cell(l, 'wave')]));
    for (const id of inWave(0)) expect(waveOf.get(id)).toBe('0');
    for (const id of inWave(2)) expect(waveOf.get(id)).toBe('2');
    expect(lines.filter((l) => cell(l, 'status') === 'not_sent').every((l) => Number(cell(l, 'wave')) >= 3)).toBe(true);
  });

  it('a canary failure halts before wave 1', async () => {
    // 20 per account/region: ten small waves after the canary.
    const small = [...Map.groupBy(located, (t) => `${t.accountId}/${t.region}`).values()].flatMap((g) => g.slice(0, 20));
    const smallWaves = assignWaves(small, DEFAULTS);
    const canary = new Set(small.filter((t) => smallWaves.get(t.instanceId) === 0).map((t) => t.instanceId));
    expect(canary.size).toBe(3);
    const failing = [...canary][1];
    setFleet((id) => (id === failing ? broken(id) : ok(id)));

    const runId = await h.approveRun(
      small.map((t) => t.instanceId),
      { action: 'kernel-staging', params: KERNEL },
    );
    expect(await h.waitForRun(runId, ['halted', 'succeeded', 'failed', 'partially_failed'])).toBe('halted');
    expect(new Set(sentIds(h, runId))).toEqual(canary);
    expect((await getRun(h.db.pool, runId))?.halt).toEqual({ reason: 'canary', afterWave: 0, failed: 1, finished: 3, budget: 3 });

    // Continued by an approver (the cause fixed), the waves go out one after the other and the run succeeds.
    if (failing) h.aws.setBehavior(failing, ok(failing));
    const continuer = createRunContinuer({ pool: h.db.pool, approversFor, onContinued: () => h.executor.wake() });
    expect(await continuer.continue({ runId, userId: APPROVER })).toMatchObject({ ok: true });
    expect(await h.waitForRun(runId, ['succeeded', 'failed', 'partially_failed', 'halted'])).toBe('partially_failed');
    expect(sentIds(h, runId).sort()).toEqual(small.map((t) => t.instanceId).sort());
    // Each command carries one wave only, and the executions record their wave.
    for (const c of commandsOf(h, runId)) expect(new Set(c.instanceIds.map((id) => smallWaves.get(id))).size).toBe(1);
    const recorded = await h.db.pool.any(sql.type(z.object({ instance_id: z.string(), wave: z.number().nullable() }))`
      select instance_id, wave from executions where run_id = ${runId}`);
    expect(new Map(recorded.map((r) => [r.instance_id, r.wave]))).toEqual(smallWaves);
  });

  it("a wave moved after approval is never sent: the digest covers every instance's wave", async () => {
    const small = [...Map.groupBy(located, (t) => `${t.accountId}/${t.region}`).values()].flatMap((g) => g.slice(0, 20));
    const smallWaves = assignWaves(small, DEFAULTS);
    const canary = small.filter((t) => smallWaves.get(t.instanceId) === 0).map((t) => t.instanceId);
    setFleet((id) => (id === canary[0] ? broken(id) : ok(id)));
    const runId = await h.approveRun(
      small.map((t) => t.instanceId),
      { action: 'kernel-staging', params: KERNEL },
    );
    expect(await h.waitForRun(runId, ['halted', 'succeeded', 'failed', 'partially_failed'])).toBe('halted');
    // While halted, someone with database access pulls the last wave forward into wave 1.
    await h.db.pool.query(sql.type(z.object({}))`
      update executions set wave = 1 where run_id = ${runId} and wave = (select max(wave) from executions where run_id = ${runId})`);
    await h.db.pool.query(sql.type(z.object({}))`
      update dispatch_chunks set wave = 1 where run_id = ${runId} and wave = (select max(wave) from dispatch_chunks where run_id = ${runId})`);
    const continuer = createRunContinuer({ pool: h.db.pool, approversFor, onContinued: () => h.executor.wake() });
    expect(await continuer.continue({ runId, userId: APPROVER })).toMatchObject({ ok: true });
    expect(await h.waitForRun(runId)).toBe('partially_failed');
    expect(new Set(sentIds(h, runId))).toEqual(new Set(canary));
    const refusal = await h.db.pool.anyFirst(sql.type(z.object({ reason: z.string() }))`
      select reason from audit_events where run_id = ${runId} and action = 'dispatch_refused'`);
    expect(refusal).toEqual([expect.stringContaining('differs from the approved one')]);
  });

  it('read-only actions have no waves and no budget: everything is sent at once', async () => {
    setFleet((id) => broken(id));
    const some = ids.slice(0, 120);
    const runId = await h.approveRun(some, { action: 'initial-qc' });
    expect(await h.waitForRun(runId)).toBe('failed');
    expect(sentIds(h, runId)).toHaveLength(120);
    expect((await getRun(h.db.pool, runId))?.rollout).toBeNull();
  });

  it('the requester adjusts the rollout in the modal within the bounds; the approval message, the digest and /ops show carry it', async () => {
    const submitter = createRunSubmitter({
      pool: h.db.pool,
      registry: h.registry,
      approvalChannelId: 'C0APPROVALS',
      approvalTtlMinutes: 60,
      changes: { verify: async (number) => ({ ok: true, change: { number } as never }) },
      gate: { check: async () => ({ ok: true }) } as never,
      resolver: createTargetResolver({
        pool: h.db.pool,
        targets: TARGETS,
        ssm: h.ssm,
        bound: createWorkQueues({ global: 10, perRegion: 4 }),
        cacheMinutes: 60,
      }),
    });
    const tool = h.registry.byId('qc-prep');
    const action = h.registry.action('qc-prep', 'kernel-staging');
    if (!tool || !action) throw new Error('no kernel staging');
    const modal = requestModal(tool, action, { tool: 'qc-prep', channel: 'C0OPSCHAN' });
    expect(validateView(modal, 'modal')).toEqual([]);
    const typed = (values: Record<string, string>) => readRequestState(stateValuesForBlocks(modal.blocks, values) as never, action).rollout;
    // The fields start at the defaults.
    expect(typed({})).toEqual({ canaryPerScope: '1', wave: '10%', budget: '5%', pauseMinutes: '0' });

    const some = [...Map.groupBy(located, (t) => t.accountId).values()].flatMap((g) => g.slice(0, 40)).map((t) => t.instanceId);
    const submit = (rollout: Record<string, string>) =>
      submitter.submit({
        toolId: 'qc-prep',
        actionId: 'kernel-staging',
        params: KERNEL,
        instanceText: some.join('\n'),
        changeNumber: CHANGE,
        requesterId: REQUESTER,
        channelId: 'C0OPSCHAN',
        rollout: typed(rollout),
      });
    const refused = await submit({ 'rollout:wave': '60%', 'rollout:budget': '5%' });
    expect(refused).toMatchObject({ ok: false, fields: { 'rollout:wave': expect.stringContaining('between 1 % and 25 %') } });

    const result = await submit({ 'rollout:wave': '20%', 'rollout:budget': '3', 'rollout:canary': '2' });
    if (!result.ok) throw new Error(result.message);
    const run = result.run;
    expect(run.rollout).toEqual({ canary: { perScope: 2 }, wave: { percent: 20 }, budget: { count: 3 } });
    const targets = await listRunTargets(h.db.pool, run.id);
    expect(targets.filter((t) => t.wave === 0)).toHaveLength(6);
    expect(Math.max(...targets.map((t) => t.wave ?? 0))).toBe(5);
    // The digest covers the policy and every wave.
    expect(run.plan_digest).toBe(
      planDigest({
        tool: 'qc-prep',
        action: 'kernel-staging',
        scriptSha256: action.scriptSha256,
        params: KERNEL,
        changeNumber: CHANGE,
        targets,
        rollout: run.rollout,
      }),
    );

    const view = toRunView(run, h.registry);
    const approval = approvalMessage(view, await loadTargetGroups(h.db.pool, run.id), { approvedBy: [], targeting: null });
    expect(JSON.stringify(approval.blocks)).toContain('canary 2 per account/region, waves of 20 % (24), error budget 3');
    expect(validateMessageBlocks(approval.blocks)).toEqual([]);
    const details = runDetailsMessage(await loadRunDetails(h.db.pool, h.registry, run));
    expect(JSON.stringify(details.blocks)).toContain('canary: 0 of 6 ended, 0 failed');
    expect(JSON.stringify(details.blocks)).toMatch(/\(wave \d\)|\(canary\)/u);
    expect(validateMessageBlocks(details.blocks)).toEqual([]);
    // A halted parent message carries Continue and Stop.
    const halted = runMessage({
      ...view,
      status: 'halted',
      halt: { reason: 'budget', afterWave: 2, failed: 61, finished: 210, budget: 50 },
    });
    expect(JSON.stringify(halted.blocks)).toContain('halted after wave 2: 61 of 210 failed, budget 50');
    expect(JSON.stringify(halted.blocks)).toMatch(/continue_run.*stop_run/u);
    expect(validateMessageBlocks(halted.blocks)).toEqual([]);
  });
});
