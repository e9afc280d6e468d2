import { randomBytes } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { createPool } from '../../src/db/pool.ts';
import { adminQuery, templateDatabase, testServerUrl } from './pgAdmin.ts';

export type TestDatabase = { readonly url: string; readonly name: string; readonly pool: DatabasePool; readonly drop: () => Promise<void> };

/** A fresh, migrated database for one test file (slonik's way: real Postgres, isolated per file). */
export const createTestDatabase = async (): Promise<TestDatabase> => {
  const name = `pcm_ops_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name} template ${templateDatabase()}`);
  const url = testServerUrl(name);
  const pool = await createPool(url, { maximumPoolSize: 20 });
  return {
    url,
    name,
    pool,
    drop: async () => {
      await pool.end();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
};
