import { migrate } from '../../src/db/migrate.ts';
import { adminQuery, TEST_LOGIN_PASSWORD, TEST_OWNER_LOGIN, TEST_RUNTIME_LOGIN, templateDatabase, testServerUrl } from './pgAdmin.ts';
import { startTestServer, type TestServer } from './startTestServer.ts';

const withoutPassword = (url: string): string => {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
};

/**
 * Finds a PostgreSQL for the run (TEST_DATABASE_URL, else the local server, else an embedded one started
 * here) and builds a migrated template database once; each test file then gets its own fresh copy
 * (`create database … template …`), which takes milliseconds.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let server: TestServer | undefined;
  try {
    await adminQuery('select 1');
  } catch (error) {
    process.stdout.write(
      `PostgreSQL is not reachable at ${withoutPassword(testServerUrl('postgres'))} (${(error as Error).message}); ` +
        'starting an embedded PostgreSQL for this test run (set TEST_DATABASE_URL to use another server)\n',
    );
    server = await startTestServer();
    process.env.TEST_DATABASE_URL = server.url;
  }
  process.env.PCM_TEST_TEMPLATE = `pcm_ops_test_template_${process.pid}`;
  const template = templateDatabase();
  await adminQuery(`drop database if exists ${template} with (force)`);
  await adminQuery(`create database ${template}`);
  await migrate(testServerUrl(template));
  // The migration created pcm_ops_runtime; the bots' login joins it, and a plain login owns the databases
  // the startup tests migrate. Both get a password, for a server that asks for one (the embedded fallback). Roles are cluster-wide and another test run may do this at the same
  // moment: the lock serialises them.
  await adminQuery(`
    do $$
    begin
      perform pg_advisory_xact_lock(hashtext('pcm-ops:roles'));
      if not exists (select from pg_roles where rolname = '${TEST_RUNTIME_LOGIN}') then
        create role ${TEST_RUNTIME_LOGIN} login;
      end if;
      alter role ${TEST_RUNTIME_LOGIN} password '${TEST_LOGIN_PASSWORD}';
      grant pcm_ops_runtime to ${TEST_RUNTIME_LOGIN};
      if not exists (select from pg_roles where rolname = '${TEST_OWNER_LOGIN}') then
        create role ${TEST_OWNER_LOGIN} login;
      end if;
      alter role ${TEST_OWNER_LOGIN} password '${TEST_LOGIN_PASSWORD}';
    end $$`);
  return async () => {
    await adminQuery(`drop database if exists ${template} with (force)`);
    await server?.stop();
  };
}
