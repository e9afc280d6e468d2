import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

export type Freeze = { on: boolean; reason?: string; by?: string };

const freezeValue = z.object({ on: z.boolean(), reason: z.string().optional(), by: z.string().optional() });

export const getFreeze = async (db: Db): Promise<Freeze> => {
  const value = await db.maybeOneFirst(sql.type(z.object({ value: freezeValue }))`select value from settings where key = 'freeze'`);
  return value ?? { on: false };
};

export const setFreeze = async (db: Db, freeze: Freeze): Promise<void> => {
  await db.query(sql.type(z.object({}))`
    insert into settings (key, value, updated_by) values ('freeze', ${sql.jsonb(freeze as never)}, ${freeze.by ?? null})
    on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`);
};

/** Whether a change freeze is on now (persisted; the same answer on every replica). Approvals and new dispatches stop while it is. */
export const isFrozen = async (db: Db): Promise<boolean> => (await getFreeze(db)).on;

/** Serialises writers of the freeze until the end of the transaction (the row may not exist yet). */
export const lockFreeze = async (db: Db): Promise<void> => {
  await db.query(sql.type(z.object({}))`select pg_advisory_xact_lock(hashtext('pcm-ops:settings:freeze'))::text`);
};
