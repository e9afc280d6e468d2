-- Up Migration
-- Credential status (issue 14): the last result of each periodic check, per partition's base credentials and per
-- account's execution role, shared by every replica and kept across restarts. `since` moves only when the health
-- changes, so "failing since" is honest and a transition is seen by exactly one checker.
create table credential_status (
  scope_kind text not null check (scope_kind in ('partition', 'account')),
  scope_id text not null,
  partition text not null check (partition in ('aws', 'aws-us-gov')),
  health text not null check (health in ('ok', 'warning', 'failing')),
  -- The health before the latest check, written by the same upsert: the row lock makes "it changed" a fact
  -- exactly one replica's check learns.
  previous_health text check (previous_health in ('ok', 'warning', 'failing')),
  error_kind text,
  -- The AWS error's own words, bounded; never a secret (shown to approvers and admins only).
  error_detail text check (length(error_detail) <= 400),
  expires_at timestamptz,
  since timestamptz not null default now(),
  checked_at timestamptz not null default now(),
  primary key (scope_kind, scope_id)
);

-- Only what the queries need (the default privileges would also give DELETE).
revoke all on credential_status from pcm_ops_runtime;
grant select, insert, update on credential_status to pcm_ops_runtime;
