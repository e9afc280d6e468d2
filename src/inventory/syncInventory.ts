import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { TaggingClients } from '../aws/taggingClients.ts';
import type { TargetAccount, Targets } from '../config/targetsSchema.ts';
import { recordScopeSync } from '../db/queries/instances.ts';
import { abandonTagRead, applyTagRead, stageTagPage, type TagScope } from '../db/queries/inventoryTags.ts';
import { describeScope, scopesOf, type ScopeBound } from './describeScope.ts';
import type { Partition } from '../domain/partition.ts';
import { readScopeTags } from './readScopeTags.ts';

/** How a scope's tag read (GetResources) went; a failed one keeps the last good tags, this old. */
export type ScopeTagsResult = {
  readonly ok: boolean;
  /** Instances of the scope carrying at least one tag, after this read (or as kept when it failed). */
  readonly tagged: number;
  readonly error?: string;
  /** The scope's tags were last read whole then (null: never). */
  readonly lastSuccessAt: Date | null;
};

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
  readonly tags: ScopeTagsResult;
};

export type SyncInventoryDeps = {
  readonly pool: DatabasePool;
  readonly targets: Targets;
  readonly ssm: SsmClients;
  /** GetResources, for the instances' tags (DescribeInstanceInformation returns none). */
  readonly tagging: TaggingClients;
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
 * Reads a scope's tags into the inventory: each page staged as it comes (one statement a page), applied whole
 * at the end. A failure anywhere leaves the instances' last good tags and marks the scope's tag read failed.
 */
const syncScopeTags = async (
  deps: SyncInventoryDeps,
  session: { runId: string; requesterId: string },
  account: TargetAccount,
  region: string,
): Promise<ScopeTagsResult> => {
  const scope: TagScope = { accountId: account.id, region, partition: account.partition };
  const readId = randomUUID();
  try {
    await readScopeTags({ tagging: deps.tagging, bound: deps.bound, session }, account, region, (page) =>
      stageTagPage(deps.pool, readId, page),
    );
  } catch (error) {
    const text = errorText(error);
    const kept = await abandonTagRead(deps.pool, scope, readId, text);
    return { ok: false, error: text, tagged: kept.tagged, lastSuccessAt: kept.lastSuccessAt };
  }
  const state = await applyTagRead(deps.pool, scope, readId);
  return { ok: true, tagged: state.tagged, lastSuccessAt: state.lastSuccessAt };
};

/**
 * One call syncs every configured account/region (both partitions, each account with its own assumed
 * credentials), all scopes at once but each page inside the per-region bound. A scope that fails keeps
 * its last good rows; its result says so and how old they are. Never throws for one scope's failure. Then the
 * scope's tags (GetResources, same credentials and bound), after the ids so new instances get theirs; a failed
 * tag read is reported the same way and never undoes the scope's ids.
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
      const tags = await syncScopeTags(deps, session, account, region);
      return {
        ...scope,
        accountName: account.name,
        ok: outcome.ok,
        instances: row.instanceCount,
        lastSuccessAt: row.lastSuccessAt,
        tags,
        ...(outcome.ok ? {} : { error: outcome.error }),
      };
    }),
  );
};
