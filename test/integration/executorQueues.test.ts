// The shared work queue: bounds, fairness across runs (a huge run cannot starve a small one), and
// throttle backoff; then the same fairness through the real executor, and two executors sharing one
// database (each run claimed once).
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWorkQueues } from '../../src/executor/workQueues.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));
const throttle = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('work queue', () => {
  it('never exceeds the global bound nor the account+region bound', async () => {
    expect(await peaks(createWorkQueues({ global: 3, perRegion: 2 }), 4)).toEqual({ peak: 3, regionPeak: 2 });
    expect(await peaks(createWorkQueues({ global: 10, perRegion: 2 }), 1)).toEqual({ peak: 2, regionPeak: 2 });
  });

  const peaks = async (q: ReturnType<typeof createWorkQueues>, regions: number) => {
    let running = 0;
    let peak = 0;
    const perRegion = new Map<string, number>();
    let regionPeak = 0;
    await Promise.all(
      Array.from({ length: 60 }, async (_, n) => {
        const region = `r${Math.floor(n / 15) % regions}`;
        await q.run({ runId: `run${n % 3}`, accountId: '111111111111', region }, async () => {
          running += 1;
          perRegion.set(region, (perRegion.get(region) ?? 0) + 1);
          peak = Math.max(peak, running);
          regionPeak = Math.max(regionPeak, perRegion.get(region) ?? 0);
          await tick();
          running -= 1;
          perRegion.set(region, (perRegion.get(region) ?? 0) - 1);
        });
      }),
    );
    return { peak, regionPeak };
  };

  it('serves runs round-robin: a small run queued behind 200 tasks of a huge one finishes after a few of them', async () => {
    const q = createWorkQueues({ global: 2, perRegion: 2 });
    const order: string[] = [];
    const job = (runId: string) => ({ runId, accountId: '111111111111', region: 'us-east-1' });
    const work = (label: string) => async () => {
      order.push(label);
      await tick();
    };
    const huge = Array.from({ length: 200 }, (_, n) => q.run(job('huge'), work(`huge${n}`)));
    await tick();
    const small = Array.from({ length: 5 }, (_, n) => q.run(job('small'), work(`small${n}`)));
    await Promise.all([...huge, ...small]);
    const lastSmall = order.indexOf('small4');
    // FIFO would put the small run after all 200; round-robin interleaves it with the huge one.
    expect(lastSmall).toBeGreaterThan(0);
    expect(lastSmall).toBeLessThan(20);
    const firstSmall = order.indexOf('small0');
    expect(order.slice(firstSmall, lastSmall + 1).filter((l) => l.startsWith('huge')).length).toBeLessThanOrEqual(5);
  });

  it('a run that was idle gains no credit: it shares from now on rather than taking over', async () => {
    const q = createWorkQueues({ global: 1, perRegion: 1 });
    const order: string[] = [];
    const job = (runId: string) => ({ runId, accountId: '111111111111', region: 'us-east-1' });
    await q.run(job('b'), async () => void order.push('b-early'));
    const a = Array.from({ length: 50 }, (_, n) =>
      q.run(job('a'), async () => {
        order.push(`a${n}`);
        await tick();
      }),
    );
    await tick();
    const b = Array.from({ length: 20 }, (_, n) =>
      q.run(job('b'), async () => {
        order.push(`b${n}`);
        await tick();
      }),
    );
    await Promise.all([...a, ...b]);
    const window = order.slice(order.indexOf('b0'), order.indexOf('b19') + 1);
    // Alternating: about as many of a's tasks as b's in the stretch where both had work queued.
    expect(window.filter((l) => l.startsWith('a')).length).toBeGreaterThanOrEqual(17);
  });

  it('after a throttle that got past the SDK, pauses the account+region for every run and then retries the task', async () => {
    const q = createWorkQueues({ global: 4, perRegion: 4, baseBackoffMs: 80, maxBackoffMs: 80 });
    let attempts = 0;
    const startedAt: number[] = [];
    const first = q.run({ runId: 'a', accountId: '111111111111', region: 'us-east-1' }, async () => {
      attempts += 1;
      if (attempts < 3) throw throttle();
      return 'done';
    });
    await tick();
    const other = q.run({ runId: 'b', accountId: '111111111111', region: 'us-east-1' }, async () => void startedAt.push(Date.now()));
    const t0 = Date.now();
    expect(await first).toBe('done');
    await other;
    expect(attempts).toBe(3);
    // The other run's call to the same account+region waited for the pause (≥ 0.5 × 80 ms).
    expect((startedAt[0] ?? 0) - t0).toBeGreaterThanOrEqual(30);
    // Other errors are not retried.
    await expect(
      q.run({ runId: 'a', accountId: '1', region: 'x' }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});

describe('executor: fairness across runs', () => {
  let h: Harness;
  const big = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 1000 });
  const small = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 1030 }).slice(1000);
  beforeAll(async () => {
    // One call at a time against SSM, each taking 50 ms: the queue decides the order.
    h = await startHarness({
      instances: [...big, ...small],
      aws: { latencyMs: { min: 50, max: 50 } },
      limits: { global: 1, perRegion: 1 },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a 30-instance run approved while a 1,000-instance run is dispatching is sent right away and finishes first', async () => {
    const bigRun = await h.approveRun(big.map((i) => i.instanceId));
    const deadline = Date.now() + 10_000;
    while (commandsOf(h, bigRun).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const smallRun = await h.approveRun(small.map((i) => i.instanceId));
    expect(await h.waitForRun(smallRun)).toBe('succeeded');
    const bigStatus = await h.db.pool.oneFirst(sql.type(z.object({ status: z.string() }))`select status from runs where id = ${bigRun}`);
    expect(bigStatus).toBe('running');
    const smallCommand = commandsOf(h, smallRun)[0];

    // Between the small run's planning and its SendCommand, how many of the big run's went out?
    // With FIFO it would wait for all of the big run's queued SendCommands; round-robin, for the one in
    // flight plus those sent while the small run was still planning (a few under CPU load).
    const events = await h.db.pool.any(sql.type(z.object({ run_id: z.string(), action: z.string() }))`
      select run_id, action from audit_events where action in ('started', 'command_sent') order by id`);
    const planned = events.findIndex((e) => e.run_id === smallRun && e.action === 'started');
    const sent = events.findIndex((e) => e.run_id === smallRun && e.action === 'command_sent');
    const bigBetween = events.slice(planned, sent).filter((e) => e.run_id === bigRun && e.action === 'command_sent').length;
    expect(planned).toBeGreaterThan(0);
    expect(bigBetween).toBeLessThanOrEqual(6);
    expect(await h.waitForRun(bigRun)).toBe('succeeded');
    expect(commandsOf(h, bigRun)).toHaveLength(20);
    // …while most of the big run's SendCommands were still queued (FIFO would have made it wait for them).
    expect(commandsOf(h, bigRun).filter((c) => c.requestedAt > (smallCommand?.requestedAt ?? 0)).length).toBeGreaterThanOrEqual(8);
  });
});

describe('executor: two replicas on one database', () => {
  let a: Harness;
  let b: Harness;
  const fleet = makeInstances({ accountId: ACCOUNTS.com2.id, region: 'us-east-1', count: 60 });
  beforeAll(async () => {
    // Each replica drives at most 2 runs at once, so 6 runs must be shared.
    a = await startHarness({ instances: fleet, settings: { maxActiveRuns: 2 } });
    b = await startHarness({ instances: fleet, settings: { maxActiveRuns: 2 }, sharing: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('share the runs; each run is claimed, planned and sent exactly once', async () => {
    const runs = [];
    for (let n = 0; n < 6; n++) runs.push(await a.approveRun(fleet.slice(n * 10, n * 10 + 10).map((i) => i.instanceId)));
    for (const runId of runs) expect(await a.waitForRun(runId)).toBe('succeeded');

    const started = await a.db.pool.any(sql.type(z.object({ run_id: z.string(), owner: z.string() }))`
      select run_id, data->>'owner' as owner from audit_events where action = 'started' order by id`);
    expect(started.map((s) => s.run_id).sort()).toEqual([...runs].sort());
    expect(new Set(started.map((s) => s.owner))).toEqual(new Set([a.owner, b.owner]));
    for (const runId of runs) expect(commandsOf(a, runId)).toHaveLength(1);
    expect(a.aws.commands()).toHaveLength(6);
  });
});
