-- Up Migration
-- ServiceNow work notes as an outbox: the executor's notifier only inserts a row (fast, never blocks a
-- run); a writer sends it to the change, retrying with backoff until it is written or given up.
-- One note per run and kind, so a repeated notification writes nothing twice.
create table work_notes (
  id              bigserial primary key,
  run_id          uuid not null references runs (id),
  change_number   text not null references changes (number),
  kind            text not null check (kind in ('started', 'finished')),
  status          text,
  counts          jsonb not null default '{}'::jsonb,
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error      text,
  written_at      timestamptz,
  failed_at       timestamptz,
  created_at      timestamptz not null default now(),
  unique (run_id, kind)
);
create index work_notes_due on work_notes (next_attempt_at) where written_at is null and failed_at is null;

-- /ops history reads the newest runs first.
create index runs_created on runs (created_at desc);
