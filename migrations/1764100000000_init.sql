-- Up Migration
-- Forward-only. Every status column is a text with a check constraint; transitions are guarded
-- in SQL (src/db/queries), never read-modify-write in JavaScript.

create table scripts (
  sha256       text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  tool         text not null,
  action       text not null,
  name         text not null,
  interpreter  text not null,
  content      text not null,
  created_at   timestamptz not null default now()
);

create table changes (
  number            text primary key check (number ~ '^CHG[0-9]{7,10}$'),
  sys_id            text,
  state             text,
  planned_start_at  timestamptz,
  planned_end_at    timestamptz,
  assignment_group  text,
  short_description text,
  last_verified_at  timestamptz,
  last_verdict      text,
  updated_at        timestamptz not null default now()
);

create table runs (
  id                  uuid primary key,
  tool                text not null,
  action              text not null,
  params              jsonb not null,
  script_sha256       text not null references scripts (sha256),
  requester_id        text not null,
  channel_id          text not null,
  message_ts          text,
  approval_channel_id text not null,
  approval_ts         text,
  change_number       text not null references changes (number),
  status              text not null check (status in (
                        'pending_approval', 'approved', 'rejected', 'expired', 'running',
                        'succeeded', 'failed', 'partially_failed', 'cancelled')),
  plan_digest         text not null check (plan_digest ~ '^[0-9a-f]{64}$'),
  approvals_required  integer not null default 1 check (approvals_required between 1 and 2),
  mutates             boolean not null default false,
  target_count        integer not null check (target_count > 0),
  correlation_id      text not null,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  approval_expires_at timestamptz not null,
  approved_at         timestamptz,
  started_at          timestamptz,
  finished_at         timestamptz,
  deadline_at         timestamptz,
  lease_owner         text,
  lease_expires_at    timestamptz,
  next_poll_at        timestamptz,
  poll_round          integer not null default 0,
  cancel_requested_by text,
  outcome             jsonb
);
create index runs_claimable on runs (status, lease_expires_at) where status in ('approved', 'running');
create index runs_requester on runs (requester_id, created_at desc);
create index runs_pending on runs (approval_expires_at) where status = 'pending_approval';

-- One row per SendCommand: the dispatch intent is written (status 'sending') and committed before the
-- call; the command id after. A 'sending' chunk found after a crash is reconciled, never re-sent blindly.
create table dispatch_chunks (
  id            uuid primary key,
  run_id        uuid not null references runs (id),
  seq           integer not null,
  partition     text not null check (partition in ('aws', 'aws-us-gov')),
  account_id    text not null check (account_id ~ '^[0-9]{12}$'),
  region        text not null,
  instance_ids  text[] not null check (cardinality(instance_ids) between 1 and 50),
  status        text not null default 'planned' check (status in ('planned', 'sending', 'sent', 'rejected', 'complete')),
  command_id    text unique,
  intent_at     timestamptz,
  sent_at       timestamptz,
  completed_at  timestamptz,
  error         text,
  unique (run_id, seq)
);
create index dispatch_chunks_open on dispatch_chunks (run_id) where status in ('planned', 'sending', 'sent');

create table executions (
  id               bigserial primary key,
  run_id           uuid not null references runs (id),
  chunk_id         uuid references dispatch_chunks (id),
  partition        text not null check (partition in ('aws', 'aws-us-gov')),
  account_id       text not null,
  region           text not null,
  instance_id      text not null,
  script_sha256    text not null references scripts (sha256),
  command_id       text,
  status           text not null default 'pending' check (status in (
                     'pending', 'sent', 'in_progress', 'success', 'failed', 'timed_out',
                     'cancelled', 'undeliverable', 'terminated', 'not_sent')),
  ssm_status       text,
  status_details   text,
  response_code    integer,
  stdout           text,
  stdout_truncated boolean not null default false,
  stderr           text,
  stderr_truncated boolean not null default false,
  result           jsonb,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  unique (run_id, instance_id)
);
create index executions_command on executions (command_id);

create table change_instances (
  change_number text not null references changes (number),
  run_id        uuid not null references runs (id),
  instance_id   text not null,
  account_id    text not null,
  region        text not null,
  created_at    timestamptz not null default now(),
  primary key (change_number, run_id, instance_id)
);
create index change_instances_instance on change_instances (instance_id, change_number);

create table approvals (
  id          bigserial primary key,
  run_id      uuid not null references runs (id),
  approver_id text not null,
  decision    text not null check (decision in ('approved', 'rejected')),
  reason      text,
  plan_digest text not null,
  decided_at  timestamptz not null default now(),
  unique (run_id, approver_id)
);

-- Inventory cache filled from DescribeInstanceInformation.
create table instances (
  instance_id   text primary key,
  partition     text not null,
  account_id    text not null,
  region        text not null,
  ping_status   text,
  platform_type text,
  platform_name text,
  computer_name text,
  last_seen_at  timestamptz not null default now()
);

create table audit_events (
  id             bigserial primary key,
  at             timestamptz not null default now(),
  run_id         uuid,
  actor          text not null,
  action         text not null,
  from_status    text,
  to_status      text,
  reason         text,
  correlation_id text,
  data           jsonb not null default '{}'::jsonb
);
create index audit_events_run on audit_events (run_id, id);

-- Append-only: nobody (including the bot) can rewrite history.
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only';
end $$;
create trigger audit_events_no_update before update or delete on audit_events
  for each row execute function audit_events_append_only();

-- Key/value settings persisted across replicas (e.g. the change freeze).
create table settings (
  key        text primary key,
  value      jsonb not null,
  updated_by text,
  updated_at timestamptz not null default now()
);
