-- Up Migration
-- The role that owns the schema (it runs these migrations) is not the role the bot runs as (issue 8).
-- The bot's role, pcm_ops_runtime, gets exactly what src/db/queries needs and on the audit trail only
-- INSERT and SELECT: UPDATE, DELETE, TRUNCATE and ALTER TABLE … DISABLE TRIGGER need privileges or
-- ownership it does not have, so neither a bug nor an injected statement can rewrite history.
-- pcm_ops_runtime is a NOLOGIN group role; the bot's login role is made a member of it
-- (manifests/postgres/roles.sql). A DBA normally creates it beforehand; it is created here only when
-- absent (the migrating role then needs CREATEROLE). Roles are cluster-wide: another database of the
-- same cluster may create it at the same moment.
do $$
begin
  if not exists (select from pg_roles where rolname = 'pcm_ops_runtime') then
    create role pcm_ops_runtime nologin;
  end if;
exception when duplicate_object or unique_violation then
  null;
end $$;

do $$
begin
  execute format('grant usage on schema %I to pcm_ops_runtime', current_schema());
end $$;

-- Reviewed per table against src/db/queries (test/integration/runtimePrivileges.test.ts pins this matrix).
-- Nothing is ever deleted; approvals and change_instances are evidence and never change either.
grant select                 on pgmigrations     to pcm_ops_runtime; -- the bot checks that migrations are applied
grant select, insert         on scripts          to pcm_ops_runtime;
grant select, insert, update on changes          to pcm_ops_runtime;
grant select, insert, update on runs             to pcm_ops_runtime;
grant select, insert, update on dispatch_chunks  to pcm_ops_runtime;
grant select, insert, update on executions       to pcm_ops_runtime;
grant select, insert         on change_instances to pcm_ops_runtime;
grant select, insert         on approvals        to pcm_ops_runtime;
grant select, insert, update on instances        to pcm_ops_runtime;
grant select, insert         on audit_events     to pcm_ops_runtime;
grant select, insert, update on settings         to pcm_ops_runtime;
grant select, insert, update on work_notes       to pcm_ops_runtime;
grant usage on sequence executions_id_seq, approvals_id_seq, audit_events_id_seq, work_notes_id_seq to pcm_ops_runtime;

-- Tables and sequences that later migrations create (as this same migrating role) are usable by the bot
-- without a grant in every migration; a migration whose table must not be rewritten revokes what it
-- must not have, and the privilege matrix test makes every new table a reviewed decision.
do $$
begin
  execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to pcm_ops_runtime', current_schema());
  execute format('alter default privileges in schema %I grant usage on sequences to pcm_ops_runtime', current_schema());
end $$;

-- TRUNCATE fires no row trigger: refuse it for everyone, the owner included (defence in depth).
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_events_append_only();
