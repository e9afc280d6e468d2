// Pieces of /readyz, /metrics and the once-per-kind fault log, without a process around them.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/http/metricsRegistry.ts';
import { healthRoutes } from '../../src/http/healthRoutes.ts';
import { cachedCheck, createReadiness } from '../../src/http/readiness.ts';
import { outboxStuck } from '../../src/outbox/outboxStuck.ts';
import { faultOnce } from '../../src/logging/faultOnce.ts';
import { parseMetrics, sampleValue } from '../helpers/parseMetrics.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('faultOnce', () => {
  it('logs a failure once per kind until it works again, then notes the recovery once', () => {
    const lines: { level: number; msg: string; kind?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
    const faults = faultOnce(log, 'executor tick');
    for (let i = 0; i < 20; i += 1) faults.failed(refused);
    faults.failed(new TypeError('other'));
    faults.ok();
    faults.ok();
    faults.failed(refused);
    expect(lines.map((l) => [l.level, l.kind])).toEqual([
      [50, 'Error:ECONNREFUSED'],
      [50, 'TypeError:'],
      [30, 'TypeError:'],
      [50, 'Error:ECONNREFUSED'],
    ]);
  });
});

describe('readiness', () => {
  it('is ready when every check holds; a throwing check fails; names of failing checks only; never ready once stopping', async () => {
    let db = true;
    const readiness = createReadiness([{ name: 'database', check: () => db }]);
    readiness.add({
      name: 'outbox',
      check: async () => {
        throw refused;
      },
    });
    expect(await readiness.evaluate()).toEqual({ ready: false, started: false, failing: ['outbox'], reasons: {} });
    const ok = createReadiness([{ name: 'database', check: () => db }]);
    expect(await ok.evaluate()).toEqual({ ready: true, started: true, failing: [], reasons: {} });
    db = false;
    expect(await ok.evaluate()).toEqual({ ready: false, started: true, failing: ['database'], reasons: {} });
    db = true;
    ok.stopping();
    expect(await ok.evaluate()).toEqual({ ready: false, started: true, failing: ['shutting down'], reasons: {} });
  });

  it('a check that fails with a reason: /readyz answers 503 with the failing name and that reason', async () => {
    let stuck = true;
    const readiness = createReadiness([
      { name: 'database', check: () => true },
      { name: 'outbox', check: () => (stuck ? { reason: '3 Slack message(s) owed, the oldest for 400 s' } : true) },
    ]);
    const readyz = healthRoutes(readiness, createMetricsRegistry()).find((r) => r.path === '/readyz');
    const probe = async (): Promise<[number, unknown]> =>
      new Promise((resolve) => {
        let status = 0;
        const res = {
          writeHead: (code: number) => {
            status = code;
            return res;
          },
          end: (body: string) => resolve([status, JSON.parse(body)]),
        };
        void readyz?.handler({} as never, res as never);
      });
    expect(await probe()).toEqual([
      503,
      { status: 'unavailable', failing: ['outbox'], reasons: { outbox: '3 Slack message(s) owed, the oldest for 400 s' } },
    ]);
    stuck = false;
    expect(await probe()).toEqual([200, { status: 'ok' }]);
  });
});

describe('outbox not stuck', () => {
  const bound = 300;
  it('is stuck only when the oldest owed message is older than the bound and nothing was delivered for as long', () => {
    expect(outboxStuck({ pending: 0, oldestSeconds: null, sinceProgressSeconds: 5_000 }, bound)).toBeNull();
    // Old backlog that drains (a 429 storm, a burst of runs): progress within the bound.
    expect(outboxStuck({ pending: 40, oldestSeconds: 900, sinceProgressSeconds: 2 }, bound)).toBeNull();
    // Young backlog, however long ago the last delivery.
    expect(outboxStuck({ pending: 2, oldestSeconds: 30, sinceProgressSeconds: 86_400 }, bound)).toBeNull();
    expect(outboxStuck({ pending: 3, oldestSeconds: 400.4, sinceProgressSeconds: 350 }, bound)).toBe(
      '3 Slack message(s) owed, the oldest for 400 s; last delivery 350 s ago (bound: OUTBOX_STUCK_SECONDS=300)',
    );
    expect(outboxStuck({ pending: 1, oldestSeconds: 301, sinceProgressSeconds: null }, bound)).toMatch(/none delivered yet/u);
    // 0 turns the check off.
    expect(outboxStuck({ pending: 1, oldestSeconds: 10_000, sinceProgressSeconds: null }, 0)).toBeNull();
  });

  it('a cached check asks at most once per period', async () => {
    let asked = 0;
    const check = cachedCheck('database', 60_000, async () => {
      asked += 1;
      return true;
    });
    await Promise.all([check.check(), check.check(), check.check()]);
    expect(asked).toBe(1);
  });
});

describe('metrics registry', () => {
  it('renders counters, histograms and scrape-time gauges in the Prometheus text format; a failing gauge read leaves only that gauge empty', async () => {
    const registry = createMetricsRegistry();
    registry.metrics.awsCall('ssm', 'SendCommand', 'aws-us-gov', 'ok');
    registry.metrics.awsCall('ssm', 'SendCommand', 'aws-us-gov', 'throttled');
    registry.metrics.slackRateLimited('chat.update');
    registry.metrics.runFinished('succeeded', 42);
    registry.addGauge('runs', 'Runs by status', ['status'], async () => [{ labels: { status: 'running' }, value: 3 }]);
    registry.addGauge('broken', 'A read that fails', ['status'], async () => {
      throw refused;
    });
    const samples = parseMetrics(await registry.render());
    expect(sampleValue(samples, 'pcm_ops_aws_calls_total', { operation: 'SendCommand', partition: 'aws-us-gov', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_aws_throttles_total', { operation: 'SendCommand', partition: 'aws-us-gov' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_slack_rate_limited_total', { method: 'chat.update' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_run_duration_seconds_bucket', { status: 'succeeded', le: '60' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_run_duration_seconds_bucket', { status: 'succeeded', le: '30' })).toBe(0);
    expect(sampleValue(samples, 'pcm_ops_runs', { status: 'running' })).toBe(3);
    expect(samples.some((m) => m.name === 'pcm_ops_broken')).toBe(false);
  });
});
