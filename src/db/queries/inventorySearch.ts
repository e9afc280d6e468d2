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

/**
 * The type-ahead picker's search, one statement: instances whose id, computer name or IP starts with `query`
 * (case-insensitive), or that carry a tag whose value is `query`. Each branch reads at most `limit` rows
 * through its own index (migration 1766100000001), so a one-letter query over 10,000 rows stays bounded.
 */
export const searchInventory = async (db: Db, query: string, limit: number): Promise<InventoryMatch[]> => {
  const q = query.trim().toLowerCase();
  if (q === '' || limit <= 0) return [];
  const pattern = prefixPattern(q);
  const rows = await db.any(sql.type(matchRow)`
    with hits as (
      (select instance_id from instances where instance_id like ${pattern} order by instance_id limit ${limit})
      union
      (select instance_id from instances where lower(computer_name) like ${pattern} order by lower(computer_name) limit ${limit})
      union
      (select instance_id from instances where ip_address like ${pattern} order by ip_address limit ${limit})
      union
      (select instance_id from instances where tag_values @> ${sql.array([q], 'text')} order by instance_id limit ${limit})
    )
    select i.instance_id, i.computer_name, i.ip_address, i.account_id, i.region, i.partition, i.ping_status, i.platform_name
    from instances i join hits h on h.instance_id = i.instance_id
    order by i.instance_id
    limit ${limit}`);
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
