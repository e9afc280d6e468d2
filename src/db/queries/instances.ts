import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';
import { partitions, type Partition } from '../../domain/partition.ts';

/** One managed node as DescribeInstanceInformation reports it, in the account/region it was found in. */
export type InstanceRecord = {
  instanceId: string;
  partition: Partition;
  accountId: string;
  region: string;
  pingStatus: string | null;
  platformType: string | null;
  platformName: string | null;
  computerName: string | null;
  ipAddress?: string | null;
  platformVersion?: string | null;
  agentVersion?: string | null;
  lastPingAt?: Date | null;
  resourceType?: string | null;
};

/** An inventory row with what its account/region's sync state says about it. */
export type InventoryInstance = InstanceRecord & {
  lastSeenAt: Date;
  /** Absent from its scope's latest successful sync (deregistered from SSM since). */
  gone: boolean;
  /** When its account/region last synced successfully (null: never); older data is marked with this age. */
  scopeSyncedAt: Date | null;
  /** The scope's latest sync failed: its rows are the last good data. */
  scopeError: string | null;
};

const ts = z.union([z.number(), z.string(), z.date()]).transform((v) => new Date(v));

const instanceRow = z.object({
  instance_id: z.string(),
  partition: z.enum(partitions),
  account_id: z.string(),
  region: z.string(),
  ping_status: z.string().nullable(),
  platform_type: z.string().nullable(),
  platform_name: z.string().nullable(),
  computer_name: z.string().nullable(),
  ip_address: z.string().nullable(),
  platform_version: z.string().nullable(),
  agent_version: z.string().nullable(),
  last_ping_at: ts.nullable(),
  resource_type: z.string().nullable(),
  last_seen_at: ts,
  gone: z.boolean(),
  scope_synced_at: ts.nullable(),
  scope_error: z.string().nullable(),
});

const columns = sql.fragment`
  i.instance_id, i.partition, i.account_id, i.region, i.ping_status, i.platform_type, i.platform_name, i.computer_name,
  i.ip_address, i.platform_version, i.agent_version, i.last_ping_at, i.resource_type, i.last_seen_at,
  coalesce(s.last_success_at > i.last_seen_at, false) as gone, s.last_success_at as scope_synced_at, s.last_error as scope_error`;

const toInstance = (r: z.infer<typeof instanceRow>): InventoryInstance => ({
  instanceId: r.instance_id,
  partition: r.partition,
  accountId: r.account_id,
  region: r.region,
  pingStatus: r.ping_status,
  platformType: r.platform_type,
  platformName: r.platform_name,
  computerName: r.computer_name,
  ipAddress: r.ip_address,
  platformVersion: r.platform_version,
  agentVersion: r.agent_version,
  lastPingAt: r.last_ping_at,
  resourceType: r.resource_type,
  lastSeenAt: r.last_seen_at,
  gone: r.gone,
  scopeSyncedAt: r.scope_synced_at,
  scopeError: r.scope_error,
});

/** Batched inventory write: one statement whatever the number of instances; `synced` marks a scope sync. */
export const upsertInstances = async (db: Db, rows: readonly InstanceRecord[], options: { synced?: boolean } = {}): Promise<void> => {
  if (rows.length === 0) return;
  await db.query(sql.type(z.object({}))`
    insert into instances (instance_id, partition, account_id, region, ping_status, platform_type, platform_name, computer_name,
                           ip_address, platform_version, agent_version, last_ping_at, resource_type, last_seen_at, synced_at)
    select u.*, now(), case when ${options.synced === true} then now() end from ${sql.unnest(
      rows.map((r) => [
        r.instanceId,
        r.partition,
        r.accountId,
        r.region,
        r.pingStatus,
        r.platformType,
        r.platformName,
        r.computerName,
        r.ipAddress ?? null,
        r.platformVersion ?? null,
        r.agentVersion ?? null,
        r.lastPingAt ? r.lastPingAt.toISOString() : null,
        r.resourceType ?? null,
      ]),
      ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'text'],
    )} as u
    on conflict (instance_id) do update set
      partition = excluded.partition, account_id = excluded.account_id, region = excluded.region,
      ping_status = excluded.ping_status, platform_type = excluded.platform_type, platform_name = excluded.platform_name,
      computer_name = excluded.computer_name, ip_address = coalesce(excluded.ip_address, instances.ip_address),
      platform_version = coalesce(excluded.platform_version, instances.platform_version),
      agent_version = coalesce(excluded.agent_version, instances.agent_version),
      last_ping_at = coalesce(excluded.last_ping_at, instances.last_ping_at),
      resource_type = coalesce(excluded.resource_type, instances.resource_type),
      last_seen_at = now(), synced_at = coalesce(excluded.synced_at, instances.synced_at)`);
};

/** Inventory rows by instance id, whatever their age (the caller decides what stale means). */
export const findInventoryByIds = async (db: Db, ids: readonly string[]): Promise<InventoryInstance[]> => {
  if (ids.length === 0) return [];
  const rows = await db.any(sql.type(instanceRow)`
    select ${columns} from instances i left join inventory_scopes s on s.account_id = i.account_id and s.region = i.region
    where i.instance_id = any(${sql.array(ids, 'text')})`);
  return rows.map(toInstance);
};

/** Inventory rows by computer name (case-insensitive; one name may exist in several accounts). */
export const findInventoryByNames = async (db: Db, names: readonly string[]): Promise<InventoryInstance[]> => {
  if (names.length === 0) return [];
  const rows = await db.any(sql.type(instanceRow)`
    select ${columns} from instances i left join inventory_scopes s on s.account_id = i.account_id and s.region = i.region
    where lower(i.computer_name) = any(${sql.array(
      names.map((n) => n.toLowerCase()),
      'text',
    )})`);
  return rows.map(toInstance);
};

export type InventoryScopeRow = {
  accountId: string;
  region: string;
  partition: Partition;
  lastAttemptAt: Date;
  lastSuccessAt: Date | null;
  lastError: string | null;
  instanceCount: number;
};

const scopeRow = z.object({
  account_id: z.string(),
  region: z.string(),
  partition: z.enum(partitions),
  last_attempt_at: ts,
  last_success_at: ts.nullable(),
  last_error: z.string().nullable(),
  instance_count: z.number().int(),
});

/**
 * A scope's complete sync, in one transaction: every instance written, and the scope's success stamped
 * with the same now(), so rows this sync did not see are older than it (`gone`) without deleting them.
 */
export const recordScopeSync = async (
  db: Db,
  scope: { accountId: string; region: string; partition: Partition },
  result: { ok: true; instances: readonly InstanceRecord[] } | { ok: false; error: string },
): Promise<InventoryScopeRow> =>
  db.transaction(async (tx) => {
    // The instances and the scope's record together: a sync is kept whole or not at all.
    if (result.ok) await upsertInstances(tx, result.instances, { synced: true });
    const row = await tx.one(sql.type(scopeRow)`
    insert into inventory_scopes (account_id, region, partition, last_attempt_at, last_success_at, last_error, instance_count)
    values (${scope.accountId}, ${scope.region}, ${scope.partition}, now(),
            ${result.ok ? sql.fragment`now()` : sql.fragment`null`}, ${result.ok ? null : result.error.slice(0, 500)},
            ${result.ok ? result.instances.length : 0})
    on conflict (account_id, region) do update set
      partition = excluded.partition, last_attempt_at = excluded.last_attempt_at,
      last_success_at = coalesce(excluded.last_success_at, inventory_scopes.last_success_at),
      last_error = excluded.last_error,
      instance_count = case when excluded.last_error is null then excluded.instance_count else inventory_scopes.instance_count end
    returning *`);
    return toScope(row);
  });

const toScope = (r: z.infer<typeof scopeRow>): InventoryScopeRow => ({
  accountId: r.account_id,
  region: r.region,
  partition: r.partition,
  lastAttemptAt: r.last_attempt_at,
  lastSuccessAt: r.last_success_at,
  lastError: r.last_error,
  instanceCount: r.instance_count,
});
