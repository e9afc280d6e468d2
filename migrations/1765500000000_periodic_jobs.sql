-- Up Migration
-- Periodic background work (credential checks, inventory sync, retention): one row per job, claimed by exactly
-- one replica when due (a guarded UPDATE), so the schedule holds across replicas and restarts. A claim expires
-- (locked_until) so a replica that dies mid-job does not stop the job for good.
create table periodic_jobs (
  name text primary key,
  next_run_at timestamptz not null,
  locked_by text,
  locked_until timestamptz,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  last_error text check (length(last_error) <= 1000)
);

revoke all on periodic_jobs from pcm_ops_runtime;
grant select, insert, update on periodic_jobs to pcm_ops_runtime;
