import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

export type ScriptRecord = { sha256: string; tool: string; action: string; name: string; interpreter: string; content: string };

/** Content-addressed: the same text is stored once and every run/execution points at its sha256. */
export const upsertScripts = async (db: Db, scripts: readonly ScriptRecord[]): Promise<void> => {
  if (scripts.length === 0) return;
  await db.query(sql.type(z.object({}))`
    insert into scripts (sha256, tool, action, name, interpreter, content)
    select * from ${sql.unnest(
      scripts.map((s) => [s.sha256, s.tool, s.action, s.name, s.interpreter, s.content]),
      ['text', 'text', 'text', 'text', 'text', 'text'],
    )}
    on conflict (sha256) do nothing`);
};
