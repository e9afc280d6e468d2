import type { DatabasePool } from 'slonik';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { TargetAccount, Targets } from '../config/targetsSchema.ts';
import { recordScopeSync } from '../db/queries/instances.ts';
import { describeScope, scopesOf, type ScopeBound } from './describeScope.ts';
import type { Partition } from '../domain/partition.ts';

export type ScopeSyncResult = {
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  readonly partition: Partition;
  readonly ok: boolean;
  /** Instances stored for the scope: this sync's count, or the last good one when it failed. */
  readonly instances: number;
  readonly error?: string;
  /** The scope's data is this old (null: never synced successfully). */
  readonly lastSuccessAt: Date | null;
};

export type SyncInventoryDeps = {
  readonly pool: DatabasePool;
  readonly targets: Targets;
  readonly ssm: SsmClients;
  readonly bound: ScopeBound;
  /** Who asked (SourceIdentity in CloudTrail); the schedule uses the bot's own name. */
  readonly requesterId?: string;
  /** Only these accounts (default all configured). */
  readonly accounts?: readonly TargetAccount[];
};

const errorText = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`.slice(0, 300);
};

/**
 * One call syncs every configured account/region (both partitions, each account with its own assumed
 * credentials), all scopes at once but each page inside the per-region bound. A scope that fails keeps
 * its last good rows; its result says so and how old they are. Never throws for one scope's failure.
 */
export const syncInventory = async (deps: SyncInventoryDeps): Promise<ScopeSyncResult[]> => {
  const session = { runId: 'inventory', requesterId: deps.requesterId ?? 'pcm-ops-bot' };
  const scopes = scopesOf(deps.accounts ?? deps.targets.accounts);
  return Promise.all(
    scopes.map(async ({ account, region }): Promise<ScopeSyncResult> => {
      const scope = { accountId: account.id, region, partition: account.partition };
      let outcome: { ok: true; instances: Awaited<ReturnType<typeof describeScope>> } | { ok: false; error: string };
      try {
        outcome = { ok: true, instances: await describeScope({ ssm: deps.ssm, bound: deps.bound, session }, account, region) };
      } catch (error) {
        outcome = { ok: false, error: errorText(error) };
      }
      const row = await deps.pool.transaction(async (tx) => recordScopeSync(tx, scope, outcome));
      return {
        ...scope,
        accountName: account.name,
        ok: outcome.ok,
        instances: row.instanceCount,
        lastSuccessAt: row.lastSuccessAt,
        ...(outcome.ok ? {} : { error: outcome.error }),
      };
    }),
  );
};
