// The one mechanism for periodic background work: two replicas on one database run each due job exactly once
// per interval, never both at once; a failure is recorded and the schedule goes on; a claim left by a dead
// replica lapses and another takes the job over.
import { pino } from 'pino';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPeriodicJobs, type PeriodicJob } from '../../src/jobs/createPeriodicJobs.ts';
import { claimPeriodicJob, ensurePeriodicJob } from '../../src/db/queries/periodicJobs.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('periodic jobs', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('two replicas: each due run goes to exactly one of them, runs never overlap, failures are recorded', async () => {
    const runs: { by: string; start: number; end: number }[] = [];
    let failOnce = true;
    const job = (by: string): PeriodicJob => ({
      name: 'every-300ms',
      intervalMs: 300,
      runAtStart: true,
      run: async () => {
        const start = Date.now();
        await sleep(50);
        runs.push({ by, start, end: Date.now() });
        if (failOnce) {
          failOnce = false;
          throw new Error('first run fails');
        }
      },
    });
    const a = createPeriodicJobs({ pool: db.pool, owner: 'replica-a', logger, jobs: [job('a')], tickMs: 20 });
    const b = createPeriodicJobs({ pool: db.pool, owner: 'replica-b', logger, jobs: [job('b')], tickMs: 20 });
    a.start();
    b.start();
    await sleep(2_000);
    await Promise.all([a.stop(), b.stop()]);

    // ~2 s / 300 ms: one run per interval across both replicas, not one per replica.
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.length).toBeLessThanOrEqual(8);
    const sorted = [...runs].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
    const row = await db.pool.one(sql.type(z.object({ last_error: z.string().nullable(), locked_by: z.string().nullable() }))`
      select last_error, locked_by from periodic_jobs where name = 'every-300ms'`);
    expect(row.locked_by).toBeNull();
    // The failure was recorded, and later runs cleared it.
    expect(row.last_error).toBeNull();
  });

  it('stop() waits for a look for due jobs in progress: nothing queries the pool after it resolves (it is closed next)', async () => {
    // A slow database: every query waits 300 ms, so stop() comes while the first look is still asking.
    let inFlight = 0;
    const slow = new Proxy(db.pool, {
      get: (target, key) => {
        if (key === 'query')
          return async (...args: Parameters<typeof target.query>) => {
            inFlight += 1;
            try {
              await sleep(300);
              return await target.query(...args);
            } finally {
              inFlight -= 1;
            }
          };
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const jobs = createPeriodicJobs({
      pool: slow,
      owner: 'replica-stopping',
      logger,
      jobs: [{ name: 'slow-look', intervalMs: 60_000, run: async () => {} }],
      tickMs: 20,
    });
    jobs.start();
    await sleep(50);
    expect(inFlight).toBe(1);
    await jobs.stop();
    expect(inFlight).toBe(0);
  });

  it('a claim left by a replica that died lapses, and another replica takes the job over', async () => {
    await ensurePeriodicJob(db.pool, 'lapsing', 0);
    expect(await claimPeriodicJob(db.pool, 'lapsing', 'dead-replica', { intervalMs: 0, lockMs: 300 })).toBe(true);
    const ran: string[] = [];
    const survivor = createPeriodicJobs({
      pool: db.pool,
      owner: 'survivor',
      logger,
      tickMs: 20,
      jobs: [{ name: 'lapsing', intervalMs: 60_000, run: async () => void ran.push('survivor') }],
    });
    survivor.start();
    await sleep(150);
    expect(ran).toEqual([]); // still held by the dead replica
    await sleep(500);
    await survivor.stop();
    expect(ran).toEqual(['survivor']);
  });
});
