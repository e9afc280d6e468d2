import type { InstanceInformationStringFilter } from '@aws-sdk/client-ssm';
import type { DatabasePool } from 'slonik';
import type { SsmClients } from '../aws/ssmClients.ts';
import type { TargetAccount, Targets } from '../config/targetsSchema.ts';
import type { Candidate } from '../domain/preflight.ts';
import { describeSelector, inScope, type TargetScope, type TargetSelector } from '../domain/targetSelectors.ts';
import {
  findInventoryByIds,
  findInventoryByNames,
  upsertInstances,
  type InstanceRecord,
  type InventoryInstance,
} from '../db/queries/instances.ts';
import { findInstancesByStepOutcome } from '../db/queries/targeting.ts';
import { recordInstanceTags, type LearnedTag } from '../db/queries/inventorySearch.ts';
import { listFailedExecutions } from '../db/queries/executions.ts';
import { causeKey, normaliseCause } from '../domain/failureCauses.ts';
import { rerunExecutionStatuses } from '../domain/rerunPolicy.ts';
import { chunkValues, describeScope, scopeLabel, scopesOf, type ScopeBound } from './describeScope.ts';

export type ResolveInput = {
  readonly selectors: readonly TargetSelector[];
  readonly scope: TargetScope;
  readonly changeNumber: string;
  readonly requesterId: string;
};

/** The union of what the selectors named (in selector order), and what could not be asked or is stale. */
export type Resolution = { readonly candidates: readonly Candidate[]; readonly warnings: readonly string[] };

export type TargetResolver = { readonly resolve: (input: ResolveInput) => Promise<Resolution> };

const ageText = (since: Date | null, now: number): string => {
  if (!since) return 'never synced';
  const minutes = Math.max(0, Math.round((now - since.getTime()) / 60_000));
  return minutes < 120 ? `${minutes} min old` : `${Math.round(minutes / 60)} h old`;
};

const live = (r: InstanceRecord): Candidate['instance'] => ({ ...r, gone: false });

/**
 * Resolves target selectors at submit: tag selectors through DescribeInstanceInformation `Filters` in every
 * configured account/region of the narrowed scope (≤ 100 values a filter), ids through the inventory and,
 * for ids not (freshly) known, SSM itself (which also fills the inventory), computer names through the
 * inventory, step selectors through this change's executions. Every SSM call is inside the per-region bound.
 */
export const createTargetResolver = (deps: {
  readonly pool: DatabasePool;
  readonly targets: Targets;
  readonly ssm: SsmClients;
  readonly bound: ScopeBound;
  /** How long a located instance is trusted before SSM is asked again. */
  readonly cacheMinutes: number;
  readonly now?: () => number;
}): TargetResolver => ({
  resolve: async (input) => {
    const now = (deps.now ?? Date.now)();
    const session = { runId: `inventory-${input.requesterId}`.slice(0, 48), requesterId: input.requesterId };
    const scopeDeps = { ssm: deps.ssm, bound: deps.bound, session };
    const scopes = scopesOf(deps.targets.accounts).filter(({ account, region }) =>
      inScope(input.scope, { accountId: account.id, region, partition: account.partition }),
    );
    const warnings: string[] = [];
    const unreachable = new Set<string>();
    const candidates: Candidate[] = [];
    const learned: InstanceRecord[] = [];
    // What a one-value tag filter proves an instance carries, for the picker's search by tag value.
    const learnedTags: LearnedTag[] = [];

    const ask = async (
      account: TargetAccount,
      region: string,
      filters: InstanceInformationStringFilter[],
      what: string,
    ): Promise<InstanceRecord[]> => {
      try {
        return await describeScope(scopeDeps, account, region, filters);
      } catch (error) {
        unreachable.add(`${account.id}|${region}`);
        warnings.push(`${scopeLabel(account, region)} could not be asked (${(error as Error).name}) for ${what}`);
        return [];
      }
    };

    // Tag selectors: one query per selector, scope and chunk of ≤ 100 values (values OR within a filter).
    for (const s of input.selectors) {
      if (s.kind !== 'tag' && s.kind !== 'tag-key') continue;
      const filters =
        s.kind === 'tag'
          ? chunkValues(s.values).map((values) => ({ Key: `tag:${s.key}`, Values: values }))
          : chunkValues(s.keys).map((values) => ({ Key: 'tag-key', Values: values }));
      const found = await Promise.all(
        scopes.flatMap(({ account, region }) => filters.map(async (f) => ask(account, region, [f], describeSelector(s)))),
      );
      const [only] = s.kind === 'tag' && s.values.length === 1 ? s.values : [];
      for (const r of found.flat()) {
        learned.push(r);
        if (s.kind === 'tag' && only !== undefined) learnedTags.push({ instanceId: r.instanceId, key: s.key, value: only });
        candidates.push({ ref: r.instanceId, instance: live(r) });
      }
    }

    // Ids, pasted or from a previous step (the step's instances as recorded, narrowed like the rest).
    const ids: string[] = [];
    for (const s of input.selectors) {
      if (s.kind === 'ids') ids.push(...s.ids);
      if (s.kind === 'step') {
        const rows = await findInstancesByStepOutcome(deps.pool, {
          tool: s.tool,
          action: s.action,
          changeNumber: input.changeNumber,
          outcome: s.outcome,
        });
        ids.push(...rows.filter((r) => inScope(input.scope, r)).map((r) => r.instanceId));
        if (rows.length === 0) warnings.push(`${describeSelector(s)} matched no instance under ${input.changeNumber}`);
      }
      if (s.kind === 'rerun') {
        // The run's failed set as recorded now (or one cause group of it), frozen into this request's plan.
        const failed = await listFailedExecutions(deps.pool, s.runId, rerunExecutionStatuses);
        const picked = s.causeKey ? failed.filter((f) => causeKey(f.status, normaliseCause(f.cause)) === s.causeKey) : failed;
        ids.push(...picked.map((f) => f.instanceId));
        if (picked.length === 0) warnings.push(`${describeSelector(s)} matched no failed instance`);
      }
    }
    if (ids.length > 0) {
      const known = new Map((await findInventoryByIds(deps.pool, ids)).map((r) => [r.instanceId, r]));
      const isFresh = (r: InventoryInstance | undefined): boolean =>
        r !== undefined && !r.gone && now - r.lastSeenAt.getTime() <= deps.cacheMinutes * 60_000 && inScope(input.scope, r);
      const missing = [...new Set(ids)].filter((id) => !isFresh(known.get(id)));
      const located = new Map<string, InstanceRecord>();
      if (missing.length > 0) {
        const found = await Promise.all(
          scopes.flatMap(({ account, region }) =>
            chunkValues(missing).map(async (chunk) => ask(account, region, [{ Key: 'InstanceIds', Values: chunk }], 'instance ids')),
          ),
        );
        for (const r of found.flat()) located.set(r.instanceId, r);
        learned.push(...located.values());
      }
      for (const id of ids) {
        const fresh = located.get(id);
        const row = known.get(id);
        if (fresh) candidates.push({ ref: id, instance: live(fresh) });
        else if (row && isFresh(row)) candidates.push({ ref: id, instance: row });
        else if (row && inScope(input.scope, row) && unreachable.has(`${row.accountId}|${row.region}`)) {
          // SSM could not be asked: the last good data stands, marked with its age.
          warnings.push(`${id}: ${row.accountId} ${row.region} unreachable, using inventory data ${ageText(row.lastSeenAt, now)}`);
          candidates.push({ ref: id, instance: row });
        } else if (row && inScope(input.scope, row)) candidates.push({ ref: id, instance: { ...row, gone: true } });
        else candidates.push({ ref: id });
      }
    }

    // Computer names: the inventory only (SSM cannot filter by name).
    for (const s of input.selectors) {
      if (s.kind !== 'names') continue;
      const rows = (await findInventoryByNames(deps.pool, s.names)).filter((r) => inScope(input.scope, r));
      const byName = new Map<string, InventoryInstance[]>();
      for (const r of rows) {
        const key = (r.computerName ?? '').toLowerCase();
        byName.set(key, [...(byName.get(key) ?? []), r]);
      }
      for (const name of s.names) {
        const matches = byName.get(name) ?? [];
        if (matches.length === 0) candidates.push({ ref: name });
        for (const r of matches) {
          if (r.scopeError)
            warnings.push(`${name}: the last inventory sync of ${r.accountId} ${r.region} failed; data ${ageText(r.scopeSyncedAt, now)}`);
          candidates.push({ ref: name, instance: r });
        }
      }
    }

    await upsertInstances(deps.pool, learned);
    await recordInstanceTags(deps.pool, learnedTags);
    return { candidates, warnings: [...new Set(warnings)] };
  },
});
