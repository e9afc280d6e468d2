import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

/** One picker match: what the option shows (host-provided text is the caller's to clean and bound). */
export type InventoryMatch = {
  instanceId: string;
  computerName: string | null;
  ipAddress: string | null;
  accountId: string;
  region: string;
  partition: string;
  pingStatus: string | null;
  platformName: string | null;
};

const matchRow = z.object({
  instance_id: z.string(),
  computer_name: z.string().nullable(),
  ip_address: z.string().nullable(),
  account_id: z.string(),
  region: z.string(),
  partition: z.string(),
  ping_status: z.string().nullable(),
  platform_name: z.string().nullable(),
});

/** `like` pattern for "starts with `text`": the wildcards people may type are matched literally. */
const prefixPattern = (text: string): string => `${text.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;

/** The search statement (exported so a test can EXPLAIN exactly what runs); `query` is lower-cased and trimmed. */
export const searchInventoryStatement = (query: string, limit: number) => {
  const q = query.trim().toLowerCase();
  const pattern = prefixPattern(q);
  // Each branch reads the columns itself (no join back to the table); union drops an instance found twice.
  const cols = sql.fragment`instance_id, computer_name, ip_address, account_id, region, partition, ping_status, platform_name`;
  return sql.fragment`
    (select ${cols} from instances where instance_id collate "C" like ${pattern}
      order by instance_id collate "C" limit ${limit})
    union
    (select ${cols} from instances where lower(computer_name) collate "C" like ${pattern}
      order by lower(computer_name) collate "C" limit ${limit})
    union
    (select ${cols} from instances where ip_address collate "C" like ${pattern}
      order by ip_address collate "C" limit ${limit})
    union
    (select ${cols} from instances where tag_values @> ${sql.array([q], 'text')} order by instance_id limit ${limit})
    order by instance_id
    limit ${limit}`;
};

/**
 * The type-ahead picker's search, one statement: instances whose id, computer name or IP starts with `query`
 * (case-insensitive), or that carry a tag whose value is `query`. Each prefix branch is a range of its own
 * index (migration 1766100000001) read in order and stopped at `limit`, so a short query over 10,000 rows stays
 * bounded; the tag branch reads the instances carrying exactly that value.
 */
export const searchInventory = async (db: Db, query: string, limit: number): Promise<InventoryMatch[]> => {
  if (query.trim() === '' || limit <= 0) return [];
  const rows = await db.any(sql.type(matchRow)`${searchInventoryStatement(query, limit)}`);
  return rows.map((r) => ({
    instanceId: r.instance_id,
    computerName: r.computer_name,
    ipAddress: r.ip_address,
    accountId: r.account_id,
    region: r.region,
    partition: r.partition,
    pingStatus: r.ping_status,
    platformName: r.platform_name,
  }));
};

/** A tag an instance was seen to carry (it matched `tag:key=value` in DescribeInstanceInformation). */
export type LearnedTag = { readonly instanceId: string; readonly key: string; readonly value: string };

/**
 * Records tags learned at submit, one statement for any number: the key's value is replaced and the
 * lower-cased values re-derived for the picker's index. Instances not in the inventory are skipped.
 */
export const recordInstanceTags = async (db: Db, tags: readonly LearnedTag[]): Promise<void> => {
  if (tags.length === 0) return;
  // One entry per (instance, key): the last value wins, as a later filter saw it.
  const unique = [...new Map(tags.map((t) => [`${t.instanceId}\u0000${t.key}`, t])).values()];
  await db.query(sql.type(z.object({}))`
    with learned as (
      select u.instance_id, jsonb_object_agg(u.key, u.value) as tags
      from ${sql.unnest(
        unique.map((t) => [t.instanceId, t.key, t.value]),
        ['text', 'text', 'text'],
      )} as u(instance_id, key, value)
      group by u.instance_id
    ), merged as (
      select i.instance_id, i.tags || l.tags as tags from instances i join learned l on l.instance_id = i.instance_id
    )
    update instances i set
      tags = m.tags,
      tag_values = array(select distinct lower(v) from jsonb_each_text(m.tags) as e(k, v) order by 1)
    from merged m where m.instance_id = i.instance_id`);
};
