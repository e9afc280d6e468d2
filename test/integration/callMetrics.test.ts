// /metrics counts what the clients really do (issue 11, item 3): Slack calls and 429s through the observed
// Web API client, ServiceNow calls and failures through the counted fetch, each against its simulator over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countedFetch } from '../../src/changes/countedFetch.ts';
import { createServiceNowClient } from '../../src/changes/serviceNowClient.ts';
import { createMetricsRegistry } from '../../src/http/metricsRegistry.ts';
import { changeInWindow } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { createObservedWebClient } from '../../src/slack/createObservedWebClient.ts';
import { parseMetrics, sampleValue } from '../helpers/parseMetrics.ts';

const OPS = 'C0OPS00001';
const CHANGE = 'CHG0012345';
let slack: FakeSlack;
let sn: FakeServiceNow;

beforeAll(async () => {
  [slack, sn] = await Promise.all([
    startFakeSlack({ channels: { [OPS]: { name: 'ops' } } }),
    startFakeServiceNow({ user: 'pcm.bot', password: 'pw', changes: [changeInWindow(CHANGE)] }),
  ]);
});
afterAll(async () => Promise.all([slack?.close(), sn?.close()]));

describe('call metrics', () => {
  it('Slack: calls by method and outcome, and every 429 (as the outbox client sees them: rejected, not waited out)', async () => {
    const registry = createMetricsRegistry();
    const client = createObservedWebClient(
      slack.botToken,
      { slackApiUrl: slack.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
      registry.metrics,
    );
    await client.chat.postMessage({ channel: OPS, text: 'one' });
    slack.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    await expect(client.chat.postMessage({ channel: OPS, text: 'two' })).rejects.toThrow();
    await expect(client.chat.postMessage({ channel: 'C0NOWHERE1', text: 'three' })).rejects.toThrow(/channel_not_found/u);
    const samples = parseMetrics(await registry.render());
    expect(sampleValue(samples, 'pcm_ops_slack_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_slack_calls_total', { method: 'chat.postMessage', outcome: 'error' })).toBe(2);
    expect(sampleValue(samples, 'pcm_ops_slack_rate_limited_total', { method: 'chat.postMessage' })).toBe(1);
  });

  it('ServiceNow: calls by outcome; an outage counts as failures', async () => {
    const registry = createMetricsRegistry();
    const client = createServiceNowClient({
      url: sn.url,
      auth: { kind: 'basic', user: 'pcm.bot', password: 'pw' },
      timeoutMs: 2_000,
      attempts: 1,
      fetch: countedFetch(registry.metrics.serviceNowCall),
    });
    expect((await client.getChange(CHANGE))?.number).toBe(CHANGE);
    sn.setMode('down');
    await expect(client.getChange(CHANGE)).rejects.toThrow();
    sn.setMode('up');
    const samples = parseMetrics(await registry.render());
    expect(sampleValue(samples, 'pcm_ops_servicenow_calls_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'pcm_ops_servicenow_calls_total', { outcome: 'error' })).toBeGreaterThanOrEqual(1);
  });
});
