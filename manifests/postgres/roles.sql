-- pcm-ops-bot database roles (issue 8). Run once per cluster by a DBA, as a superuser or a role with
-- CREATEROLE and CREATEDB (on RDS/Aurora/Cloud SQL: the master user), before the first migration:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v owner_password="$OWNER_PW" -v bot_password="$BOT_PW" \
--        -f manifests/postgres/roles.sql
--
-- Safe to run again (creates only what is missing; passwords are not changed). It creates:
--   pcm_ops_owner    LOGIN   owns the database, the schema and every table; runs the migrations
--                            (DATABASE_MIGRATION_URL, or `npm run migrate` from a deploy job).
--   pcm_ops_runtime  NOLOGIN the privileges the bot runs with; the migrations grant them table by table,
--                            and on audit_events only INSERT and SELECT.
--   pcm_ops_bot      LOGIN   the bot (DATABASE_URL); member of pcm_ops_runtime and nothing else.
-- The bot refuses to start when DATABASE_URL is the owner, a superuser, has CREATEROLE or may UPDATE,
-- DELETE, TRUNCATE or add triggers to audit_events.
--
-- Always migrate as pcm_ops_owner: a table belongs to the role that creates it, and the default
-- privileges that give the bot access to tables of later migrations are those of that role.
-- Upgrading a database whose tables belong to an existing login: keep that login as the owner
-- (DATABASE_MIGRATION_URL), run only the pcm_ops_runtime and pcm_ops_bot parts below, and point
-- DATABASE_URL at pcm_ops_bot; the next migration grants pcm_ops_runtime what it needs.
-- pcm_ops_runtime is cluster-wide: give each deployment sharing a cluster its own cluster or accept that
-- their bots share the group (CONNECT below still keeps each login to its database).

select format('create role pcm_ops_owner login password %L', :'owner_password')
  where not exists (select from pg_roles where rolname = 'pcm_ops_owner') \gexec
select 'create role pcm_ops_runtime nologin'
  where not exists (select from pg_roles where rolname = 'pcm_ops_runtime') \gexec
select format('create role pcm_ops_bot login password %L', :'bot_password')
  where not exists (select from pg_roles where rolname = 'pcm_ops_bot') \gexec
grant pcm_ops_runtime to pcm_ops_bot;

-- A non-superuser admin (managed services) may create a database for another owner only as its member.
select 'grant pcm_ops_owner to current_user'
  where not (select rolsuper from pg_roles where rolname = current_user) \gexec
select 'create database pcm_ops owner pcm_ops_owner'
  where not exists (select from pg_database where datname = 'pcm_ops') \gexec

-- Only the two logins may connect.
revoke all on database pcm_ops from public;
grant connect on database pcm_ops to pcm_ops_owner, pcm_ops_bot;

\connect pcm_ops
-- The owner creates the tables; nobody else may create objects in the schema (PUBLIC could before
-- PostgreSQL 15).
alter schema public owner to pcm_ops_owner;
revoke create on schema public from public;
grant usage on schema public to pcm_ops_runtime;
