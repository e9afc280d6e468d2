import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OpsMetrics } from './opsMetrics.ts';

/** One labelled value of a gauge read at scrape time. */
export type GaugeSample = { readonly labels: Record<string, string>; readonly value: number };

export type MetricsRegistry = {
  readonly metrics: OpsMetrics;
  /**
   * Adds a gauge read when /metrics is scraped (e.g. from the database). A read that fails leaves the
   * gauge empty for that scrape: a database outage must not break the scrape itself.
   */
  readonly addGauge: (
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Promise<readonly GaugeSample[]> | readonly GaugeSample[],
  ) => void;
  readonly contentType: string;
  readonly render: () => Promise<string>;
};

const PREFIX = 'pcm_ops_';

/** The prom-client registry behind /metrics: counters and histograms fed through OpsMetrics, gauges read at scrape time. */
export const createMetricsRegistry = (): MetricsRegistry => {
  const registry = new Registry();
  const registers = [registry];
  const awsCalls = new Counter({
    name: `${PREFIX}aws_calls_total`,
    help: 'AWS SDK calls (after SDK retries) by service, operation, partition and outcome',
    labelNames: ['service', 'operation', 'partition', 'outcome'],
    registers,
  });
  const awsThrottles = new Counter({
    name: `${PREFIX}aws_throttles_total`,
    help: 'AWS SDK calls that ended throttled, by service, operation and partition',
    labelNames: ['service', 'operation', 'partition'],
    registers,
  });
  const slackCalls = new Counter({
    name: `${PREFIX}slack_calls_total`,
    help: 'Slack Web API calls by method and outcome',
    labelNames: ['method', 'outcome'],
    registers,
  });
  const slackLimited = new Counter({
    name: `${PREFIX}slack_rate_limited_total`,
    help: 'Slack 429 answers by method',
    labelNames: ['method'],
    registers,
  });
  const serviceNowCalls = new Counter({
    name: `${PREFIX}servicenow_calls_total`,
    help: 'ServiceNow HTTP calls by outcome',
    labelNames: ['outcome'],
    registers,
  });
  const runsFinished = new Histogram({
    name: `${PREFIX}run_duration_seconds`,
    help: 'Time from start to final status of runs finished on this replica, by status',
    labelNames: ['status'],
    registers,
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  });
  const approvalWait = new Histogram({
    name: `${PREFIX}approval_wait_seconds`,
    help: 'Time from request to approval of runs started on this replica',
    registers,
    buckets: [10, 30, 60, 300, 900, 1800, 3600, 14_400, 86_400],
  });
  const credentialFailures = new Counter({
    name: `${PREFIX}credential_check_failures_total`,
    help: 'Failed credential checks by scope (partition, account) and error kind',
    labelNames: ['scope', 'kind'],
    registers,
  });
  const takeovers = new Counter({
    name: `${PREFIX}lease_takeovers_total`,
    help: 'Runs this replica claimed after they had started elsewhere (expired or handed-back lease)',
    registers,
  });

  const metrics: OpsMetrics = {
    awsCall: (service, operation, partition, outcome) => {
      awsCalls.inc({ service, operation, partition, outcome });
      if (outcome === 'throttled') awsThrottles.inc({ service, operation, partition });
    },
    slackCall: (method, outcome) => slackCalls.inc({ method, outcome }),
    slackRateLimited: (method) => slackLimited.inc({ method }),
    serviceNowCall: (outcome) => serviceNowCalls.inc({ outcome }),
    runFinished: (status, seconds) => runsFinished.observe({ status }, Math.max(0, seconds)),
    approvalWaited: (seconds) => approvalWait.observe(Math.max(0, seconds)),
    leaseTakeover: () => takeovers.inc(),
    credentialCheckFailed: (scope, kind) => credentialFailures.inc({ scope, kind }),
  };

  return {
    metrics,
    addGauge: (name, help, labelNames, read) => {
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames: [...labelNames],
        registers,
        async collect() {
          this.reset();
          try {
            for (const sample of await read()) this.set(sample.labels, sample.value);
          } catch {
            // unreadable now (e.g. database down): no samples this scrape; /readyz says why
          }
        },
      });
    },
    contentType: registry.contentType,
    render: async () => registry.metrics(),
  };
};
