import pg from 'pg';

/** The default test server: the machine's PostgreSQL with trust authentication. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * URL of `database` on the server the tests use: TEST_DATABASE_URL (an admin connection, any database),
 * or the local server. When neither answers, globalSetup starts an embedded PostgreSQL and points
 * TEST_DATABASE_URL at it (the variable is inherited by the worker processes).
 */
export const testServerUrl = (database: string): string => {
  const url = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
};

/** The login e2e bots run as: like production's, its only privileges are those of pcm_ops_runtime. */
export const TEST_RUNTIME_LOGIN = 'pcm_ops_test_bot';
/** A plain (non-superuser) login that owns the databases some startup tests create and migrate. */
export const TEST_OWNER_LOGIN = 'pcm_ops_test_owner';

/** Password of the test logins (ignored by a trust-auth server; the embedded fallback asks for it). */
export const TEST_LOGIN_PASSWORD = 'pcm-ops-test';

/** A database on the test server as another login. */
export const testUrlAs = (login: string, database: string): string => {
  const url = new URL(testServerUrl(database));
  url.username = login;
  url.password = TEST_LOGIN_PASSWORD;
  return url.toString();
};

export const testRuntimeUrl = (database: string): string => testUrlAs(TEST_RUNTIME_LOGIN, database);

/** Runs admin statements (create/drop database) outside any transaction. */
export const adminQuery = async (text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: testServerUrl('postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
};

/**
 * The migrated template of this test run. globalSetup names it per run (the variable is inherited by the
 * worker processes), so two test runs on one server never rebuild each other's template.
 */
export const templateDatabase = (): string => process.env.PCM_TEST_TEMPLATE ?? 'pcm_ops_test_template';
