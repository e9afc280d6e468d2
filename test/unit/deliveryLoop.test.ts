// The shared delivery loop behind the Slack outbox and the ServiceNow work notes, with an in-memory queue.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { backoffMs, createDeliveryLoop } from '../../src/jobs/createDeliveryLoop.ts';

const silent = pino({ level: 'silent' });

/** A queue of due rows; a claim takes up to `limit` of them (as the SKIP LOCKED claim would). */
const queue = (rows: number[], limit = 2) => ({
  rows,
  claims: 0,
  claim() {
    this.claims += 1;
    return Promise.resolve(this.rows.splice(0, limit));
  },
});

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i += 1) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('delivery loop', () => {
  it('claims again at once while rows were due, one batch at a time, and sleeps when none are until woken', async () => {
    const q = queue([1, 2, 3, 4, 5]);
    const delivered: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const loop = createDeliveryLoop<number>({
      what: 'test',
      logger: silent,
      intervalMs: 60_000,
      claim: () => q.claim(),
      deliver: async (row) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        delivered.push(row);
        inFlight -= 1;
      },
      onFault: async () => {},
    });
    loop.start();
    await until('the backlog', () => delivered.length === 5);
    // Three batches, then one empty claim, then asleep for the interval.
    await until('the idle claim', () => q.claims === 4);
    q.rows.push(6);
    loop.wake();
    await until('the woken delivery', () => delivered.length === 6);
    await loop.stop(100);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(maxInFlight).toBe(1);
  });

  it('a delivery that throws goes to onFault and the batch goes on; a failing claim is logged once per kind', async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string }) });
    const faults: [number, string][] = [];
    let claimFails = 3;
    const q = queue([1, 2, 3], 3);
    const loop = createDeliveryLoop<number>({
      what: 'test',
      logger,
      intervalMs: 1,
      claim: () => {
        if (claimFails > 0) {
          claimFails -= 1;
          return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
        }
        return q.claim();
      },
      deliver: async (row, claim) => {
        expect(claim.stopping.aborted).toBe(false);
        if (row === 2) throw new Error('boom');
      },
      onFault: async (row, error) => {
        faults.push([row, (error as Error).message]);
      },
    });
    loop.start();
    await until('the fault', () => faults.length === 1);
    await loop.stop(100);
    expect(faults).toEqual([[2, 'boom']]);
    expect(q.rows).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual([
      'test tick failed (logged once until it recovers or fails differently)',
      'test tick works again',
    ]);
  });

  it('drain delivers everything due now; stop waits for the delivery in flight at most the grace', async () => {
    const q = queue([1, 2, 3]);
    const delivered: number[] = [];
    const loop = createDeliveryLoop<number>({
      what: 'test',
      logger: silent,
      intervalMs: 60_000,
      claim: () => q.claim(),
      deliver: async (row) => {
        delivered.push(row);
      },
      onFault: async () => {},
    });
    await loop.drain();
    expect(delivered).toEqual([1, 2, 3]);

    let release: () => void = () => {};
    let started = false;
    const hung = createDeliveryLoop<number>({
      what: 'test',
      logger: silent,
      intervalMs: 60_000,
      claim: () => Promise.resolve([1]),
      deliver: () =>
        new Promise<void>((resolve) => {
          started = true;
          release = resolve;
        }),
      onFault: async () => {},
    });
    hung.start();
    await until('the hung delivery', () => started);
    const stopped = await Promise.race([hung.stop(20).then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 2_000))]);
    expect(stopped).toBe('stopped');
    release();
  });

  it('backs off from the base, doubling per attempt, up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(a, 500, 3_000))).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });
});
