// A run that finishes normally gives up its lease with the finishing transition; the heartbeat that
// runs while the driver still reports the outcome (Slack can be slow) must not call that "lease lost".
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { startHarness, type Harness } from '../helpers/executorHarness.ts';

const fleet = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 3 });

describe('executor: the end of a lease after a normal finish', () => {
  let h: Harness;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    h = await startHarness({
      instances: fleet,
      // A heartbeat every ~333 ms; reporting the outcome takes longer than several of them.
      settings: { leaseSeconds: 1 },
      notifier: (recording) => ({
        ...recording,
        runFinished: async (...args) => {
          await sleep(1_500);
          await recording.runFinished(...args);
        },
      }),
      logger,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('logs no "lease lost" while the finished run is still being reported, and every run line says which run, tool, action, requester and correlation id', async () => {
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));
    expect(await h.waitForRun(runId)).toBe('succeeded');
    const deadline = Date.now() + 10_000;
    while (!h.notifier.calls.some((c) => c.kind === 'finished' && c.runId === runId)) {
      if (Date.now() > deadline) throw new Error('the outcome was not reported');
      await sleep(25);
    }
    await sleep(400);
    expect(lines.filter((l) => l.msg === 'lease lost; stopping this run here')).toEqual([]);
    const aboutRun = lines.filter((l) => l.runId === runId);
    expect(aboutRun.map((l) => l.msg)).toContain('run finished');
    for (const l of aboutRun)
      expect(l).toMatchObject({ tool: 'qc-prep', action: 'initial-qc', requester: 'U0REQUESTER', correlationId: expect.any(String) });
  });
});
