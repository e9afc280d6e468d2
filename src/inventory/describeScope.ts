import { DescribeInstanceInformationCommand, type InstanceInformation, type InstanceInformationStringFilter } from '@aws-sdk/client-ssm';
import type { SessionTag } from '../aws/credentialBroker.ts';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { TargetAccount } from '../config/targetsSchema.ts';
import type { InstanceRecord } from '../db/queries/instances.ts';

/** The per-account+region bound every SSM call goes through (the executor's work queues satisfy it). */
export type ScopeBound = {
  readonly run: <T>(
    job: { readonly runId: string; readonly accountId: string; readonly region: string },
    task: () => Promise<T>,
  ) => Promise<T>;
};

export type ScopeDeps = { readonly ssm: SsmClients; readonly bound: ScopeBound; readonly session: SessionTag };

/** SSM's page size bounds for DescribeInstanceInformation are 5–50. */
const PAGE_SIZE = 50;
/** SSM takes at most 100 values in one filter. */
export const MAX_FILTER_VALUES = 100;

export const toRecord = (account: TargetAccount, region: string, info: InstanceInformation): InstanceRecord | undefined =>
  info.InstanceId
    ? {
        instanceId: info.InstanceId,
        partition: account.partition,
        accountId: account.id,
        region,
        pingStatus: info.PingStatus ?? null,
        platformType: info.PlatformType ?? null,
        platformName: info.PlatformName ?? null,
        computerName: info.ComputerName ?? null,
        ipAddress: info.IPAddress ?? null,
        platformVersion: info.PlatformVersion ?? null,
        agentVersion: info.AgentVersion ?? null,
        lastPingAt: info.LastPingDateTime ?? null,
        resourceType: info.ResourceType ?? null,
      }
    : undefined;

/**
 * Every managed node of one account/region matching `filters` (all of them without), page by page; each
 * page is one call inside the per-region bound, so a 10,000-node scope never holds more than its share.
 */
export const describeScope = async (
  deps: ScopeDeps,
  account: TargetAccount,
  region: string,
  filters: readonly InstanceInformationStringFilter[] = [],
): Promise<InstanceRecord[]> => {
  const client = deps.ssm.reader(account, region, deps.session);
  const found: InstanceRecord[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await deps.bound.run({ runId: deps.session.runId, accountId: account.id, region }, async () =>
      client.send(
        new DescribeInstanceInformationCommand({
          ...(filters.length > 0 ? { Filters: [...filters] } : {}),
          MaxResults: PAGE_SIZE,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const info of page.InstanceInformationList ?? []) {
      const record = toRecord(account, region, info);
      if (record) found.push(record);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
};

/** `values` in filters of at most 100 values each (one query per chunk, results united by the caller). */
export const chunkValues = (values: readonly string[]): string[][] => {
  const chunks: string[][] = [];
  for (let i = 0; i < values.length; i += MAX_FILTER_VALUES) chunks.push(values.slice(i, i + MAX_FILTER_VALUES));
  return chunks;
};

export const scopesOf = (accounts: readonly TargetAccount[]): { account: TargetAccount; region: string }[] =>
  accounts.flatMap((account) => account.regions.map((region) => ({ account, region })));

export const scopeLabel = (account: TargetAccount, region: string): string => `${account.name} (${account.id}) ${region}`;
