import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from './db.ts';

/** The NOLOGIN group role the bot runs as (created and granted by migrations/1764350000000_runtime_role.sql). */
export const RUNTIME_ROLE = 'pcm_ops_runtime';

const auditGuard = z.object({
  role: z.string(),
  superuser: z.boolean(),
  create_role: z.boolean(),
  owner: z.string(),
  member_of_owner: z.boolean(),
  can_update: z.boolean(),
  can_delete: z.boolean(),
  can_truncate: z.boolean(),
  can_trigger: z.boolean(),
});
export type AuditGuard = z.infer<typeof auditGuard>;

/**
 * What the current role could do to audit_events beyond appending: null when the table does not exist.
 * Membership in the owner's role is ownership (ALTER TABLE … DISABLE TRIGGER); CREATEROLE could grant it.
 */
export const readAuditGuard = async (db: Db): Promise<AuditGuard | null> =>
  db.maybeOne(sql.type(auditGuard)`
    select current_user::text as role, r.rolsuper as superuser, r.rolcreaterole as create_role,
           pg_get_userbyid(c.relowner)::text as owner, pg_has_role(current_user, c.relowner, 'MEMBER') as member_of_owner,
           has_any_column_privilege(c.oid, 'UPDATE') as can_update, has_table_privilege(c.oid, 'DELETE') as can_delete,
           has_table_privilege(c.oid, 'TRUNCATE') as can_truncate, has_table_privilege(c.oid, 'TRIGGER') as can_trigger
    from pg_roles r cross join pg_class c
    where r.rolname = current_user and c.oid = to_regclass('audit_events')`);

/**
 * Names of the applied migrations; null when the bookkeeping table is missing or this role may not read it.
 * Two statements (a query naming a table it may not read fails whole), so one transaction.
 */
export const readAppliedMigrations = async (db: Db): Promise<readonly string[] | null> =>
  db.transaction(async (tx) => {
    const readable = await tx.oneFirst(sql.type(z.object({ readable: z.boolean() }))`
      select coalesce(has_table_privilege(to_regclass('pgmigrations'), 'SELECT'), false) as readable`);
    if (!readable) return null;
    return tx.anyFirst(sql.type(z.object({ name: z.string() }))`select name from pgmigrations order by run_on, id`);
  });

/**
 * Makes `login` a login role whose only privileges come from membership in the runtime role, with this
 * password (set again at every call, so a lost password file heals). Serialised: roles are cluster-wide.
 * Its own transaction (the lock and the settings are transaction-scoped); run as a role with CREATEROLE.
 */
export const ensureRuntimeLogin = async (db: Db, login: string, password: string): Promise<void> =>
  db.transaction(async (tx) => {
    await tx.query(sql.type(z.object({}))`select pg_advisory_xact_lock(hashtext('pcm-ops:roles'))::text`);
    // DO takes no parameters: they travel as transaction-local settings and are quoted with format().
    await tx.query(sql.type(z.object({}))`
      select set_config('pcm_ops.login', ${login}, true), set_config('pcm_ops.password', ${password}, true)`);
    await tx.query(sql.type(z.object({}))`
      do $$
      declare
        login text := current_setting('pcm_ops.login');
        secret text := current_setting('pcm_ops.password');
      begin
        if exists (select from pg_roles where rolname = login) then
          execute format('alter role %I with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password %L', login, secret);
        else
          execute format('create role %I with login password %L', login, secret);
        end if;
        execute format('grant pcm_ops_runtime to %I', login);
        perform set_config('pcm_ops.password', '', true);
      end $$`);
  });
