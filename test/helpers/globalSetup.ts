import { migrate } from '../../src/db/migrate.ts';
import { adminQuery, TEMPLATE_DATABASE, testServerUrl } from './pgAdmin.ts';

/**
 * Builds a migrated template database once per test run; each test file then gets its own fresh
 * copy (`create database … template …`), which takes milliseconds.
 */
export default async function setup(): Promise<void> {
  try {
    await adminQuery('select 1');
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${testServerUrl('postgres')}: ${(error as Error).message}`, { cause: error });
  }
  await adminQuery(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await adminQuery(`create database ${TEMPLATE_DATABASE}`);
  await migrate(testServerUrl(TEMPLATE_DATABASE));
}
