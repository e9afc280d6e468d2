import { readdir } from 'node:fs/promises';
import { migrationsDir } from './migrate.ts';
import type { Db } from './queries/db.ts';
import { readAppliedMigrations } from './queries/roles.ts';

/**
 * The migrations of this version not yet applied to the database, read without migrating (the runtime
 * role may not); null when this role cannot read the bookkeeping table (nothing applied, or too old).
 */
export const pendingMigrations = async (db: Db): Promise<readonly string[] | null> => {
  const applied = await readAppliedMigrations(db);
  if (!applied) return null;
  const done = new Set(applied);
  const files = (await readdir(migrationsDir))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();
  return files.filter((name) => !done.has(name));
};
