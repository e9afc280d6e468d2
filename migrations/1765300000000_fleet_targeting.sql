-- Issue 9: fleet targeting. The inventory becomes a per-account/region mirror of DescribeInstanceInformation,
-- each scope remembering its last good sync; a run keeps the selectors and the pre-flight it was planned from.

alter table instances
  add column ip_address       text,
  add column platform_version text,
  add column agent_version    text,
  add column last_ping_at     timestamptz,
  add column resource_type    text,
  -- When the row was last written from a sync of its scope (a locate by id writes last_seen_at only).
  add column synced_at        timestamptz;
create index instances_scope on instances (account_id, region);
create index instances_computer_name on instances (lower(computer_name));

-- One row per configured account/region: when it was last synced successfully (its data is that old) and
-- the last failure, if the latest attempt failed. A failed scope keeps its last good rows.
create table inventory_scopes (
  account_id      text not null,
  region          text not null,
  partition       text not null check (partition in ('aws', 'aws-us-gov')),
  last_attempt_at timestamptz not null,
  last_success_at timestamptz,
  last_error      text,
  instance_count  integer not null default 0,
  primary key (account_id, region)
);
revoke delete on inventory_scopes from pcm_ops_runtime;
grant select, insert, update on inventory_scopes to pcm_ops_runtime;

-- What the requester typed (selectors, for the record) and what pre-flight found (counts, exclusions). The
-- frozen target list itself is the run's executions rows, covered by the plan digest.
alter table runs
  add column target_selectors jsonb,
  add column preflight        jsonb;
