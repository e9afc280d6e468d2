import { migrate } from '../../src/db/migrate.ts';
import { adminQuery, TEST_OWNER_LOGIN, TEST_RUNTIME_LOGIN, templateDatabase, testServerUrl } from './pgAdmin.ts';

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
  // The migration created pcm_ops_runtime; the bots' login joins it, and a plain login owns the databases
  // the startup tests migrate. Roles are cluster-wide and another test run may do this at the same
  // moment: the lock serialises them.
  await adminQuery(`
    do $$
    begin
      perform pg_advisory_xact_lock(hashtext('pcm-ops:roles'));
      if not exists (select from pg_roles where rolname = '${TEST_RUNTIME_LOGIN}') then
        create role ${TEST_RUNTIME_LOGIN} login;
      end if;
      grant pcm_ops_runtime to ${TEST_RUNTIME_LOGIN};
      if not exists (select from pg_roles where rolname = '${TEST_OWNER_LOGIN}') then
        create role ${TEST_OWNER_LOGIN} login;
      end if;
    end $$`);
  return async () => {
    await adminQuery(`drop database if exists ${template} with (force)`);
  };
}
