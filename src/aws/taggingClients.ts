import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { OpsMetrics } from '../http/opsMetrics.ts';
import type { CredentialBroker, SessionTag } from './credentialBroker.ts';
import { observeAwsCalls } from './observeAwsCalls.ts';

export type TaggingClients = {
  /** GetResources reads for `account` in `region`, with that account's assumed-role credentials (as SSM's). */
  readonly reader: (account: TargetAccount, region: string, session: SessionTag) => ResourceGroupsTaggingAPIClient;
  readonly destroy: () => void;
};

export type TaggingClientOptions = {
  /** Test/bench seam: one endpoint for every region (production resolves each region's own, or AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API). */
  readonly endpoint?: string;
  readonly maxAttempts?: number;
  /** Counts calls by operation, partition and outcome for /metrics. */
  readonly metrics?: OpsMetrics;
};

/**
 * Resource Groups Tagging API clients per account, region and session, with the same AssumeRole credentials
 * as the account's SSM clients: a region always belongs to its account's partition, so a GovCloud account is
 * read through a GovCloud endpoint with GovCloud credentials.
 */
export const createTaggingClients = (broker: CredentialBroker, options: TaggingClientOptions = {}): TaggingClients => {
  const clients = new Map<string, ResourceGroupsTaggingAPIClient>();
  return {
    reader: (account, region, session) => {
      if (!account.regions.includes(region)) throw new Error(`region ${region} is not configured for account ${account.id}`);
      const key = `${session.runId}|${account.id}|${region}`;
      let client = clients.get(key);
      if (!client) {
        client = new ResourceGroupsTaggingAPIClient({
          region,
          credentials: () => broker.forAccount(account, session),
          maxAttempts: options.maxAttempts ?? 4,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        });
        if (options.metrics) observeAwsCalls(client, 'tagging', account.partition, options.metrics);
        clients.set(key, client);
      }
      return client;
    },
    destroy: () => {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
};
