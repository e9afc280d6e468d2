import { migrate } from '../../src/db/migrate.ts';
import { adminQuery, templateDatabase, testServerUrl } from './pgAdmin.ts';

/**
 * Builds a migrated template database once per test run; each test file then gets its own fresh
 * copy (`create database … template …`), which takes milliseconds.
 */
export default async function setup(): Promise<() => Promise<void>> {
  try {
    await adminQuery('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${testServerUrl('postgres')}: ${(error as Error).message}`, { cause: error });
  }
  process.env.PCM_TEST_TEMPLATE = `pcm_ops_test_template_${process.pid}`;
  const template = templateDatabase();
  await adminQuery(`drop database if exists ${template} with (force)`);
  await adminQuery(`create database ${template}`);
  await migrate(testServerUrl(template));
  return async () => {
    await adminQuery(`drop database if exists ${template} with (force)`);
  };
}
