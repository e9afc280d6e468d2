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

export const TEMPLATE_DATABASE = 'pcm_ops_test_template';
