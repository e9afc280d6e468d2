// /metrics counts what the clients really do (issue 11, item 3): SSM/STS calls, errors and throttles by operation
// and partition through the SDK middleware, Slack calls and 429s through the observed Web API client, ServiceNow
// calls and failures through the counted fetch, each against its simulator over HTTP.
import { DescribeInstanceInformationCommand, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialBroker } from '../../src/aws/credentialBroker.ts';
import { createSsmClients } from '../../src/aws/ssmClients.ts';
import { countedFetch } from '../../src/changes/countedFetch.ts';
import { createServiceNowClient } from '../../src/changes/serviceNowClient.ts';
import { createMetricsRegistry } from '../../src/http/metricsRegistry.ts';
import { changeInWindow } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeAws, type FakeAws } from '../../src/sandbox/aws/index.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { createObservedWebClient } from '../../src/slack/createObservedWebClient.ts';
import { TARGETS } from '../helpers/executorHarness.ts';
import { parseMetrics, sampleValue } from '../helpers/parseMetrics.ts';
import { ACCOUNTS, BASE_CREDENTIALS } from '../helpers/sandbox.ts';

const OPS = 'C0OPS00001';
const CHANGE = 'CHG0012345';
let slack: FakeSlack;
let sn: FakeServiceNow;
let aws: FakeAws;

beforeAll(async () => {
  [slack, sn, aws] = await Promise.all([
    startFakeSlack({ channels: { [OPS]: { name: 'ops' } } }),
    startFakeServiceNow({ user: 'pcm.bot', password: 'pw', changes: [changeInWindow(CHANGE)] }),
    startFakeAws({
      partitions: BASE_CREDENTIALS,
      accounts: Object.values(ACCOUNTS).map((a) => ({
        id: a.id,
        partition: a.partition,
        roleArn: a.roleArn,
        ...('externalId' in a ? { externalId: a.externalId } : {}),
      })),
    }),
  ]);
});
afterAll(async () => Promise.all([slack?.close(), sn?.close(), aws?.close()]));

describe('call metrics', () => {
  it('SSM and STS: calls by operation, partition and outcome after the SDK retries; throttles counted apart', async () => {
    const registry = createMetricsRegistry();
    const broker = createCredentialBroker({
      targets: TARGETS,
      endpoint: aws.url,
      baseCredentials: { aws: async () => BASE_CREDENTIALS.aws, 'aws-us-gov': async () => BASE_CREDENTIALS['aws-us-gov'] },
      metrics: registry.metrics,
    });
    const ssm = createSsmClients(broker, { endpoint: aws.url, metrics: registry.metrics, readerMaxAttempts: 1 });
    const session = { runId: 'metrics-test', requesterId: 'U0REQUESTER' };
    const account = (id: string) => TARGETS.accounts.find((a) => a.id === id)!;
    try {
      const gov = ssm.reader(account(ACCOUNTS.gov.id), 'us-gov-west-1', session);
      await gov.send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
      aws.setThrottle({ rate: 1, operations: ['ListCommands'] });
      await expect(gov.send(new ListCommandsCommand({ MaxResults: 5 }))).rejects.toThrow();
      aws.setThrottle(undefined);
      aws.failOperations(['ListCommands']);
      await expect(
        ssm.reader(account(ACCOUNTS.com.id), 'us-east-1', session).send(new ListCommandsCommand({ MaxResults: 5 })),
      ).rejects.toThrow();
      aws.failOperations([]);
    } finally {
      ssm.destroy();
      broker.destroy();
    }
    const samples = parseMetrics(await registry.render());
    const calls = (labels: Record<string, string>) => sampleValue(samples, 'pcm_ops_aws_calls_total', labels);
    expect(calls({ service: 'sts', operation: 'AssumeRole', partition: 'aws-us-gov', outcome: 'ok' })).toBe(1);
    expect(calls({ service: 'sts', operation: 'AssumeRole', partition: 'aws', outcome: 'ok' })).toBe(1);
    expect(calls({ service: 'ssm', operation: 'DescribeInstanceInformation', partition: 'aws-us-gov', outcome: 'ok' })).toBe(1);
    expect(calls({ service: 'ssm', operation: 'ListCommands', partition: 'aws-us-gov', outcome: 'throttled' })).toBe(1);
    expect(
      sampleValue(samples, 'pcm_ops_aws_throttles_total', { service: 'ssm', operation: 'ListCommands', partition: 'aws-us-gov' }),
    ).toBe(1);
    expect(calls({ service: 'ssm', operation: 'ListCommands', partition: 'aws', outcome: 'error' })).toBe(1);
    expect(sampleValue(samples, 'pcm_ops_aws_throttles_total', { partition: 'aws' })).toBeUndefined();
  });

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
