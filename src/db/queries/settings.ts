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
