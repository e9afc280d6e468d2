// Issue 8: the bot runs as a role that does not own the schema. On the audit trail it may only append and
// read; everywhere it has exactly the reviewed privileges, so a bug or an injected statement cannot rewrite
// history. The migrating owner is the test server's superuser here, the runtime login the one e2e bots use.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRuntimeUrl, TEST_RUNTIME_LOGIN } from '../helpers/pgAdmin.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

const RUNTIME = 'pcm_ops_runtime';
let db: TestDatabase;
let owner: pg.Client;
let runtime: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new pg.Client({ connectionString: db.url });
  runtime = new pg.Client({ connectionString: testRuntimeUrl(db.name) });
  await owner.connect();
  await runtime.connect();
});
afterAll(async () => {
  await runtime?.end();
  await owner?.end();
  await db?.drop();
});

const failure = async (client: pg.Client, text: string): Promise<string> => {
  try {
    await client.query(text);
  } catch (error) {
    return (error as Error).message;
  }
  return 'succeeded';
};

// Reviewed against src/db/queries: a table added by a migration must be added here deliberately, with only
// what the bot's queries need (the default privileges give a new table SELECT, INSERT, UPDATE, DELETE).
const MATRIX: Record<string, readonly string[]> = {
  pgmigrations: ['SELECT'],
  scripts: ['INSERT', 'SELECT'],
  changes: ['INSERT', 'SELECT', 'UPDATE'],
  runs: ['INSERT', 'SELECT', 'UPDATE'],
  dispatch_chunks: ['INSERT', 'SELECT', 'UPDATE'],
  executions: ['INSERT', 'SELECT', 'UPDATE'],
  change_instances: ['INSERT', 'SELECT'],
  approvals: ['INSERT', 'SELECT'],
  // DELETE only for retention: cached inventory rows not seen for INSTANCE_RETENTION_DAYS (migration 1765200000000).
  instances: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
  inventory_scopes: ['INSERT', 'SELECT', 'UPDATE'],
  // DELETE: a tag read's staged rows, once applied or abandoned (migration 1766800000001).
  instance_tag_reads: ['DELETE', 'INSERT', 'SELECT'],
  audit_events: ['INSERT', 'SELECT'],
  settings: ['INSERT', 'SELECT', 'UPDATE'],
  work_notes: ['INSERT', 'SELECT', 'UPDATE'],
  credential_status: ['INSERT', 'SELECT', 'UPDATE'],
  periodic_jobs: ['INSERT', 'SELECT', 'UPDATE'],
  slack_outbox: ['INSERT', 'SELECT', 'UPDATE'],
};

describe('the runtime role (issue 8)', () => {
  it('the bot login is a plain member of the runtime role', async () => {
    const { rows } = await runtime.query<{ user: string; superuser: boolean; createrole: boolean; member: boolean }>(`
      select current_user as user, rolsuper as superuser, rolcreaterole as createrole, pg_has_role(current_user, '${RUNTIME}', 'MEMBER') as member
      from pg_roles where rolname = current_user`);
    expect(rows).toEqual([{ user: TEST_RUNTIME_LOGIN, superuser: false, createrole: false, member: true }]);
  });

  it('appends to and reads the audit trail, but cannot UPDATE, DELETE, TRUNCATE it or disable its triggers', async () => {
    await runtime.query(`insert into audit_events (actor, action) values ('U0TEST', 'test.append')`);
    const { rows } = await runtime.query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'test.append'`);
    expect(rows[0]?.n).toBe(1);

    expect(await failure(runtime, `update audit_events set actor = 'someone else'`)).toMatch(/permission denied for table audit_events/u);
    expect(await failure(runtime, 'delete from audit_events')).toMatch(/permission denied for table audit_events/u);
    expect(await failure(runtime, 'truncate audit_events')).toMatch(/permission denied for table audit_events/u);
    expect(await failure(runtime, 'alter table audit_events disable trigger all')).toMatch(/must be owner of table audit_events/u);
    expect(await failure(runtime, 'alter table audit_events disable trigger audit_events_no_update')).toMatch(
      /must be owner of table audit_events/u,
    );
    expect(await failure(runtime, 'alter table audit_events disable trigger audit_events_no_truncate')).toMatch(
      /must be owner of table audit_events/u,
    );
    expect(await failure(runtime, 'drop table audit_events')).toMatch(/must be owner of table audit_events/u);
    expect(
      await failure(
        runtime,
        'create trigger rewrite before insert on audit_events for each row execute function audit_events_append_only()',
      ),
    ).toMatch(/permission denied for table audit_events/u);
    // It can neither become the owner nor switch triggers off for its session.
    expect(
      await failure(
        runtime,
        `set role ${(await owner.query<{ o: string }>(`select pg_get_userbyid(relowner) as o from pg_class where oid = 'audit_events'::regclass`)).rows[0]?.o}`,
      ),
    ).toMatch(/permission denied to set role/u);
    expect(await failure(runtime, 'set session_replication_role = replica')).toMatch(/permission denied to set parameter/u);

    const after = await runtime.query<{ n: number }>(
      `select count(*)::int as n from audit_events where action = 'test.append' and actor = 'U0TEST'`,
    );
    expect(after.rows[0]?.n).toBe(1);
  });

  it('has exactly the reviewed privileges on every table and only USAGE on sequences; owns nothing', async () => {
    const { rows } = await owner.query<{ table: string; privileges: string[] }>(`
      select c.relname as table,
             coalesce(array_agg(p.privilege order by p.privilege) filter (where has_table_privilege('${RUNTIME}', c.oid, p.privilege)), '{}') as privileges
      from pg_class c
      cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(privilege)
      where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
      group by c.relname`);
    expect(Object.fromEntries(rows.map((r) => [r.table, r.privileges]))).toEqual(MATRIX);

    const sequences = await owner.query<{ sequence: string; usage: boolean; update: boolean }>(`
      select c.relname as sequence, has_sequence_privilege('${RUNTIME}', c.oid, 'USAGE') as usage, has_sequence_privilege('${RUNTIME}', c.oid, 'UPDATE') as update
      from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relkind = 'S'`);
    expect(sequences.rows.length).toBeGreaterThan(0);
    // pgmigrations' own sequence is the migrator's business; the bot only reads that table.
    for (const s of sequences.rows) expect(s, s.sequence).toMatchObject({ usage: s.sequence !== 'pgmigrations_id_seq', update: false });

    const owned = await owner.query(
      `select relname from pg_class where relowner = '${RUNTIME}'::regrole or relowner = '${TEST_RUNTIME_LOGIN}'::regrole`,
    );
    expect(owned.rows).toEqual([]);
    const schema = await owner.query<{ create: boolean }>(
      `select has_schema_privilege('${RUNTIME}', current_schema(), 'CREATE') as create`,
    );
    expect(schema.rows[0]?.create).toBe(false);
  });

  it('a table a later migration creates is usable by the bot without a grant of its own (default privileges)', async () => {
    await owner.query('create table later_feature (id bigserial primary key, note text)');
    await runtime.query(`insert into later_feature (note) values ('x')`);
    expect((await runtime.query('select note from later_feature')).rows).toEqual([{ note: 'x' }]);
    expect(await failure(runtime, 'truncate later_feature')).toMatch(/permission denied/u);
    await owner.query('drop table later_feature');
  });

  it('nobody truncates the audit trail, not even its owner, without first disabling the trigger', async () => {
    expect(await failure(owner, 'truncate audit_events')).toMatch(/audit_events is append-only/u);
  });
});
