-- Up Migration
-- Security review (issue 8), findings 9 and 10.

-- A cancel SSM never confirmed is recorded as such, not as 'cancelled' (finding 10).
alter table executions drop constraint executions_status_check;
alter table executions add constraint executions_status_check check (status in (
  'pending', 'sent', 'in_progress', 'success', 'failed', 'timed_out',
  'cancelled', 'cancel_unconfirmed', 'undeliverable', 'terminated', 'not_sent'));

-- The view submission a run came from: Slack re-delivers a submission it got no answer for, and any
-- replica may receive the copy; the unique key makes the copy the same request, never a second run.
alter table runs add column origin_view_id text, add column origin_view_hash text;
alter table runs add constraint runs_origin_view unique (origin_view_id, origin_view_hash);
