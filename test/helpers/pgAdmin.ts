import pg from 'pg';

/** Server the tests use: the machine's PostgreSQL (trust auth). Overridable for other setups. */
export const testServerUrl = (database: string): string => {
  const base = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
  return `${base}/${database}`;
};

/** The login e2e bots run as: like production's, its only privileges are those of pcm_ops_runtime. */
export const TEST_RUNTIME_LOGIN = 'pcm_ops_test_bot';
/** A plain (non-superuser) login that owns the databases some startup tests create and migrate. */
export const TEST_OWNER_LOGIN = 'pcm_ops_test_owner';

/** A database on the test server as another login (trust auth: no password). */
export const testUrlAs = (login: string, database: string): string => {
  const url = new URL(testServerUrl(database));
  url.username = login;
  url.password = '';
  return url.toString();
};

export const testRuntimeUrl = (database: string): string => testUrlAs(TEST_RUNTIME_LOGIN, database);

/** Runs admin statements (create/drop database) outside any transaction. */
export const adminQuery = async (text: string): Promise<void> => {
  const client = new pg.Client({ connectionString: testServerUrl('postgres') });
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
