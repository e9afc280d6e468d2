import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import type { DatabasePool } from 'slonik';
import type { Targets } from '../config/targetsSchema.ts';
import { findFreshInstances, upsertInstances, type InstanceRecord } from '../db/queries/instances.ts';
import type { SsmClients } from './ssmClients.ts';

export type LocateResult = { readonly found: readonly InstanceRecord[]; readonly unknown: readonly string[]; readonly unreachable: readonly string[] };

export type InstanceLocator = { readonly locate: (ids: readonly string[], requesterId: string) => Promise<LocateResult> };

const MAX_FILTER_VALUES = 50;

/**
 * Finds which configured account and region each instance lives in: the database cache first, then
 * DescribeInstanceInformation (filtered by id, ≤ 50 per call) over every configured account and region
 * in parallel. Results are cached. `unreachable` names account/regions that could not be asked: an
 * instance missing while some were unreachable is reported as such, not as unknown.
 */
export const createInstanceLocator = (deps: {
  readonly pool: DatabasePool;
  readonly targets: Targets;
  readonly ssm: SsmClients;
  readonly cacheMinutes: number;
}): InstanceLocator => ({
  locate: async (ids, requesterId) => {
    const cached = await findFreshInstances(deps.pool, ids, deps.cacheMinutes);
    const foundIds = new Set(cached.map((c) => c.instanceId));
    const missing = ids.filter((id) => !foundIds.has(id));
    if (missing.length === 0) return { found: cached, unknown: [], unreachable: [] };

    const session = { runId: `inventory-${requesterId}`.slice(0, 48), requesterId };
    const fresh: InstanceRecord[] = [];
    const unreachable: string[] = [];
    const jobs = deps.targets.accounts.flatMap((account) =>
      account.regions.map(async (region) => {
        try {
          const client = deps.ssm.reader(account, region, session);
          for (let i = 0; i < missing.length; i += MAX_FILTER_VALUES) {
            let nextToken: string | undefined;
            do {
              const page = await client.send(
                new DescribeInstanceInformationCommand({
                  Filters: [{ Key: 'InstanceIds', Values: missing.slice(i, i + MAX_FILTER_VALUES) }],
                  MaxResults: 50,
                  NextToken: nextToken,
                }),
              );
              for (const info of page.InstanceInformationList ?? []) {
                if (!info.InstanceId) continue;
                fresh.push({
                  instanceId: info.InstanceId, partition: account.partition, accountId: account.id, region,
                  pingStatus: info.PingStatus ?? null, platformType: info.PlatformType ?? null,
                  platformName: info.PlatformName ?? null, computerName: info.ComputerName ?? null,
                });
              }
              nextToken = page.NextToken;
            } while (nextToken);
          }
        } catch (error) {
          unreachable.push(`${account.name} (${account.id}) ${region}: ${(error as Error).name}`);
        }
      }),
    );
    await Promise.all(jobs);
    await upsertInstances(deps.pool, fresh);
    const all = [...cached, ...fresh];
    const seen = new Set(all.map((r) => r.instanceId));
    return { found: all, unknown: missing.filter((id) => !seen.has(id)), unreachable };
  },
});
