import { SSMClient } from '@aws-sdk/client-ssm';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { OpsMetrics } from '../http/opsMetrics.ts';
import type { CredentialBroker, SessionTag } from './credentialBroker.ts';
import { observeAwsCalls } from './observeAwsCalls.ts';

export type SsmClients = {
  /** For reads (List*, Get*, Describe*, CancelCommand): SDK retries with backoff. */
  readonly reader: (account: TargetAccount, region: string, session: SessionTag) => SSMClient;
  /**
   * For SendCommand only: no SDK retries. SendCommand has no idempotency token, so a retry after an
   * ambiguous failure could run the script twice; the executor reconciles instead.
   */
  readonly sender: (account: TargetAccount, region: string, session: SessionTag) => SSMClient;
  /** The account's temporary credentials for this run (AssumeRole, cached): obtained before anything is sent. */
  readonly credentials: (account: TargetAccount, session: SessionTag) => Promise<unknown>;
  readonly forget: (runId: string) => void;
  readonly destroy: () => void;
};

export type SsmClientOptions = {
  /** SDK attempts for reads (default 4); throttles that outlast them pause the account+region in the work queue. */
  readonly readerMaxAttempts?: number;
  /**
   * Default 'standard'. 'adaptive' adds a client-side rate limiter, but per client, i.e. per run,
   * account and region here: it sees a low request rate, floors near 0.5 request/s after a throttle,
   * and measured 2–3× slower under 30 % throttling. The work queue's shared per-account+region pause
   * is the adaptive part instead.
   */
  readonly readerRetryMode?: 'standard' | 'adaptive';
  /** Test/bench seam: one endpoint for every region (production resolves each region's own endpoint, or AWS_ENDPOINT_URL_SSM). */
  readonly endpoint?: string;
  /** Counts calls by operation, partition and outcome for /metrics. */
  readonly metrics?: OpsMetrics;
};

/**
 * SSM clients per account, region and run. The region always belongs to the account's partition (the
 * config enforces it), and the credentials come from that account's AssumeRole, so an endpoint of one
 * partition is never called with credentials of the other. AWS_ENDPOINT_URL_SSM is honoured by the SDK.
 */
export const createSsmClients = (broker: CredentialBroker, options: SsmClientOptions = {}): SsmClients => {
  const clients = new Map<string, SSMClient>();
  const get = (kind: 'r' | 's', account: TargetAccount, region: string, session: SessionTag): SSMClient => {
    if (!account.regions.includes(region)) throw new Error(`region ${region} is not configured for account ${account.id}`);
    const key = `${kind}|${session.runId}|${account.id}|${region}`;
    let client = clients.get(key);
    if (!client) {
      client = new SSMClient({
        region,
        credentials: () => broker.forAccount(account, session),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(kind === 'r'
          ? { maxAttempts: options.readerMaxAttempts ?? 4, retryMode: options.readerRetryMode ?? 'standard' }
          : { maxAttempts: 1 }),
      });
      if (options.metrics) observeAwsCalls(client, 'ssm', account.partition, options.metrics);
      clients.set(key, client);
    }
    return client;
  };
  return {
    credentials: (account, session) => broker.forAccount(account, session),
    reader: (a, r, s) => get('r', a, r, s),
    sender: (a, r, s) => get('s', a, r, s),
    forget: (runId) => {
      for (const [key, client] of clients) {
        if (key.split('|')[1] === runId) {
          client.destroy();
          clients.delete(key);
        }
      }
    },
    destroy: () => {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
};
