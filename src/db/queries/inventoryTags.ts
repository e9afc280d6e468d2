import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';
import type { Partition } from '../../domain/partition.ts';

/** One resource of a GetResources page: an instance of the scope and every tag it carries. */
export type InstanceTags = { readonly instanceId: string; readonly tags: Readonly<Record<string, string>> };

export type TagScope = { readonly accountId: string; readonly region: string; readonly partition: Partition };

/** What a scope's tag read left: when its tags were last read whole (null: never), and the latest failure. */
export type TagReadState = { readonly lastSuccessAt: Date | null; readonly lastError: string | null; readonly tagged: number };

const ts = z.union([z.number(), z.string(), z.date()]).transform((v) => new Date(v));
const stateRow = z.object({ tags_last_success_at: ts.nullable(), tags_last_error: z.string().nullable(), tagged: z.number().int() });

/** Stages one GetResources page of a read: one statement whatever the page holds (an instance listed twice keeps its first). */
export const stageTagPage = async (db: Db, readId: string, page: readonly InstanceTags[]): Promise<void> => {
  if (page.length === 0) return;
  await db.query(sql.type(z.object({}))`
    insert into instance_tag_reads (read_id, instance_id, tags)
    select ${readId}::uuid, u.instance_id, u.tags::jsonb from ${sql.unnest(
      page.map((p) => [p.instanceId, JSON.stringify(p.tags)]),
      ['text', 'text'],
    )} as u(instance_id, tags)
    on conflict (read_id, instance_id) do nothing`);
};

/**
 * A complete tag read becomes the scope's tags, in one transaction: every instance of the scope gets exactly the
 * tags the read found (none when GetResources did not list it: never tagged), the picker's lower-cased values
 * re-derived; the staged rows go, and the scope's tag read is stamped good.
 */
export const applyTagRead = async (db: Db, scope: TagScope, readId: string): Promise<TagReadState> =>
  db
    .transaction(async (tx) => {
      await tx.query(sql.type(z.object({}))`
      with found as (
        select i.instance_id, coalesce(r.tags, '{}'::jsonb) as tags
        from instances i left join instance_tag_reads r on r.read_id = ${readId}::uuid and r.instance_id = i.instance_id
        where i.account_id = ${scope.accountId} and i.region = ${scope.region}
      )
      update instances i set
        tags = f.tags,
        tag_values = array(select distinct lower(e.v) from jsonb_each_text(f.tags) as e(k, v) order by 1)
      from found f where f.instance_id = i.instance_id and i.tags is distinct from f.tags`);
      // This read's rows, and any a crashed read left behind.
      await tx.query(sql.type(z.object({}))`
      delete from instance_tag_reads where read_id = ${readId}::uuid or created_at < now() - interval '1 day'`);
      return tx.one(sql.type(stateRow)`
      insert into inventory_scopes (account_id, region, partition, last_attempt_at, tags_last_attempt_at, tags_last_success_at)
      values (${scope.accountId}, ${scope.region}, ${scope.partition}, now(), now(), now())
      on conflict (account_id, region) do update set
        tags_last_attempt_at = now(), tags_last_success_at = now(), tags_last_error = null
      returning tags_last_success_at, tags_last_error,
        (select count(*)::int from instances i
          where i.account_id = ${scope.accountId} and i.region = ${scope.region} and i.tags <> '{}'::jsonb) as tagged`);
    })
    .then(toState);

/** A failed tag read: its staged rows go, the instances keep their last good tags, the scope says it failed. */
export const abandonTagRead = async (db: Db, scope: TagScope, readId: string, error: string): Promise<TagReadState> =>
  db
    .transaction(async (tx) => {
      await tx.query(sql.type(z.object({}))`delete from instance_tag_reads where read_id = ${readId}::uuid`);
      return tx.one(sql.type(stateRow)`
      insert into inventory_scopes (account_id, region, partition, last_attempt_at, tags_last_attempt_at, tags_last_error)
      values (${scope.accountId}, ${scope.region}, ${scope.partition}, now(), now(), ${error.slice(0, 500)})
      on conflict (account_id, region) do update set tags_last_attempt_at = now(), tags_last_error = excluded.tags_last_error
      returning tags_last_success_at, tags_last_error,
        (select count(*)::int from instances i
          where i.account_id = ${scope.accountId} and i.region = ${scope.region} and i.tags <> '{}'::jsonb) as tagged`);
    })
    .then(toState);

const toState = (r: z.infer<typeof stateRow>): TagReadState => ({
  lastSuccessAt: r.tags_last_success_at,
  lastError: r.tags_last_error,
  tagged: r.tagged,
});
