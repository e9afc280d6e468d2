import pg from 'pg';

/** Server the tests use: the machine's PostgreSQL (trust auth). Overridable for other setups. */
export const testServerUrl = (database: string): string => {
  const base = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
  return `${base}/${database}`;
};

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
