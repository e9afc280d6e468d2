import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

export type InstanceRecord = {
  instanceId: string;
  partition: 'aws' | 'aws-us-gov';
  accountId: string;
  region: string;
  pingStatus: string | null;
  platformType: string | null;
  platformName: string | null;
  computerName: string | null;
};

const instanceRow = z.object({
  instance_id: z.string(),
  partition: z.enum(['aws', 'aws-us-gov']),
  account_id: z.string(),
  region: z.string(),
  ping_status: z.string().nullable(),
  platform_type: z.string().nullable(),
  platform_name: z.string().nullable(),
  computer_name: z.string().nullable(),
});

/** Batched inventory write: one statement whatever the number of instances. */
export const upsertInstances = async (db: Db, rows: readonly InstanceRecord[]): Promise<void> => {
  if (rows.length === 0) return;
  await db.query(sql.type(z.object({}))`
    insert into instances (instance_id, partition, account_id, region, ping_status, platform_type, platform_name, computer_name, last_seen_at)
    select *, now() from ${sql.unnest(
      rows.map((r) => [r.instanceId, r.partition, r.accountId, r.region, r.pingStatus, r.platformType, r.platformName, r.computerName]),
      ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'],
    )}
    on conflict (instance_id) do update set
      partition = excluded.partition, account_id = excluded.account_id, region = excluded.region,
      ping_status = excluded.ping_status, platform_type = excluded.platform_type, platform_name = excluded.platform_name,
      computer_name = excluded.computer_name, last_seen_at = now()`);
};

/** Cached locations seen within the last `maxAgeMinutes`. */
export const findFreshInstances = async (db: Db, ids: readonly string[], maxAgeMinutes: number): Promise<InstanceRecord[]> => {
  if (ids.length === 0) return [];
  const rows = await db.any(sql.type(instanceRow)`
    select instance_id, partition, account_id, region, ping_status, platform_type, platform_name, computer_name
    from instances
    where instance_id = any(${sql.array(ids, 'text')})
      and last_seen_at > now() - make_interval(mins => ${maxAgeMinutes})`);
  return rows.map((r) => ({
    instanceId: r.instance_id, partition: r.partition, accountId: r.account_id, region: r.region,
    pingStatus: r.ping_status, platformType: r.platform_type, platformName: r.platform_name, computerName: r.computer_name,
  }));
};
