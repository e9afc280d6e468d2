-- Up Migration
-- Rollout control (issue 10, items 1, 2 and 6): a run of a mutating action goes out in waves (a canary first)
-- under a fleet-wide error budget. The policy a run was approved with is frozen on the run (`rollout`, covered
-- by the plan digest together with each execution's `wave`); the executor dispatches a wave's chunks only when
-- the previous wave has ended and the budget holds, and otherwise moves the run to `halted` (Continue → running,
-- Stop → `stopped`). `scheduled` is listed too, so this constraint does not undo the scheduled-start migration.
alter table runs drop constraint if exists runs_status_check;
alter table runs add constraint runs_status_check check (status in (
  'pending_approval', 'approved', 'scheduled', 'rejected', 'expired', 'running', 'halted', 'stopped',
  'succeeded', 'failed', 'partially_failed', 'cancelled'));

alter table runs add column rollout jsonb;
-- Failures a Continue accepted: the budget applies afresh to what fails after it.
alter table runs add column failures_accepted integer not null default 0 check (failures_accepted >= 0);
-- Why the run halted (wave, failures, budget), for its message and /ops show.
alter table runs add column halt jsonb;

alter table executions add column wave integer check (wave >= 0);
alter table dispatch_chunks add column wave integer check (wave >= 0);
-- The executor reads each wave's chunks every round.
create index dispatch_chunks_run_wave on dispatch_chunks (run_id, wave);
