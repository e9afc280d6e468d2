// Pieces of /readyz, /metrics and the once-per-kind fault log, without a process around them.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/http/metricsRegistry.ts';
import { cachedCheck, createReadiness } from '../../src/http/readiness.ts';
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
    expect(await readiness.evaluate()).toEqual({ ready: false, started: false, failing: ['outbox'] });
    const ok = createReadiness([{ name: 'database', check: () => db }]);
    expect(await ok.evaluate()).toEqual({ ready: true, started: true, failing: [] });
    db = false;
    expect(await ok.evaluate()).toEqual({ ready: false, started: true, failing: ['database'] });
    db = true;
    ok.stopping();
    expect(await ok.evaluate()).toEqual({ ready: false, started: true, failing: ['shutting down'] });
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
