-- Up Migration
-- Scheduled start and re-run of the failed (issue 10, items 3 and 5).

-- `scheduled`: approved before its change window opened; the executor starts it at `scheduled_for`.
alter table runs drop constraint runs_status_check;
alter table runs add constraint runs_status_check check (status in (
  'pending_approval', 'approved', 'scheduled', 'rejected', 'expired', 'running', 'halted', 'stopped',
  'succeeded', 'failed', 'partially_failed', 'cancelled'));

-- When the change window opens (the run does not start before). For a scheduled run, next_poll_at is when
-- the executor next asks ServiceNow about its change while it waits.
alter table runs add column scheduled_for timestamptz;
create index runs_scheduled on runs (scheduled_for) where status = 'scheduled';

-- A "Re-run failed" request names the run whose failed instances it targets.
alter table runs add column rerun_of uuid references runs (id);
