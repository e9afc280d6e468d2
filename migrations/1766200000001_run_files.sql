-- Up Migration
-- Issue 9 (items 4 and 6): files the bot owes in Slack (the approval thread's complete target list, the run's
-- per-instance results) are outbox rows like every other owed message; their content is generated when sent,
-- from the frozen plan and the executions, never stored twice.

-- What pre-flight saw of each target when the plan was frozen (name, platform, ping status): the target list
-- an approver downloads is exactly this, whatever the inventory says later.
alter table executions
  add column computer_name text,
  add column platform      text,
  add column ping_status   text;

alter table slack_outbox drop constraint slack_outbox_kind_check;
alter table slack_outbox add constraint slack_outbox_kind_check
  check (kind in ('run_parent', 'run_reply', 'approval', 'channel_post', 'dm', 'file'));
-- The Slack file id of a file row once obtained (files.getUploadURLExternal), recorded before the bytes are
-- sent: a retry after a crash asks Slack whether that file was already shared instead of uploading it twice.
alter table slack_outbox add column file_id text;
