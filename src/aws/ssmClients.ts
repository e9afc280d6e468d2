import { SSMClient } from '@aws-sdk/client-ssm';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { CredentialBroker, SessionTag } from './credentialBroker.ts';

export type SsmClients = {
  /** For reads (List*, Get*, Describe*): SDK retries with adaptive rate limiting. */
  readonly reader: (account: TargetAccount, region: string, session: SessionTag) => SSMClient;
  /**
   * For SendCommand only: no SDK retries. SendCommand has no idempotency token, so a retry after an
   * ambiguous failure could run the script twice; the executor reconciles instead.
   */
  readonly sender: (account: TargetAccount, region: string, session: SessionTag) => SSMClient;
  readonly forget: (runId: string) => void;
  readonly destroy: () => void;
};

/**
 * SSM clients per account, region and run. The region always belongs to the account's partition (the
 * config enforces it), and the credentials come from that account's AssumeRole, so an endpoint of one
 * partition is never called with credentials of the other. AWS_ENDPOINT_URL_SSM is honoured by the SDK.
 */
export type SsmClientOptions = {
  /** SDK attempts for reads (adaptive retry mode: backoff plus client-side rate limiting); default 8. */
  readonly readerMaxAttempts?: number;
  /** Test/bench seam: one endpoint for every region (production resolves each region's own endpoint, or AWS_ENDPOINT_URL_SSM). */
  readonly endpoint?: string;
};

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
        ...(kind === 'r' ? { maxAttempts: options.readerMaxAttempts ?? 8, retryMode: process.env.PROBE_MODE ?? 'adaptive' } : { maxAttempts: 1 }),
      });
      clients.set(key, client);
    }
    return client;
  };
  return {
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
