-- Up Migration
-- Issue 11: every Slack message the bot owes is a row here, written in the same transaction as the state
-- change that causes it, and sent by a delivery loop (src/outbox/) on any replica. Rows of one stream
-- (a run's parent message, its thread and its approval message; a DM; a channel) are sent strictly in id
-- order: only the oldest unfinished row of a stream can be claimed. A newer update of the same message
-- (coalesce_key) is merged into an older one still waiting. Content is rendered when sent, from the database.
create table slack_outbox (
  id            bigserial primary key,
  stream        text not null,
  coalesce_key  text,
  run_id        uuid references runs (id),
  kind          text not null check (kind in ('run_parent', 'run_reply', 'approval', 'channel_post', 'dm')),
  payload       jsonb not null default '{}'::jsonb,
  state         text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
  attempts      integer not null default 0,
  -- Not before: a retry's backoff, a 429's Retry-After, a channel's pacing.
  not_before    timestamptz not null default now(),
  -- Held by one delivery until then (another replica skips it; a crashed holder's claim lapses).
  claimed_until timestamptz,
  last_error    text,
  created_at    timestamptz not null default now(),
  done_at       timestamptz
);
create index slack_outbox_pending on slack_outbox (stream, id) where state = 'pending';
create index slack_outbox_due on slack_outbox (not_before) where state = 'pending';
create index slack_outbox_coalesce on slack_outbox (coalesce_key) where state = 'pending';

-- The bot claims, marks and supersedes rows; it never deletes them (retention may, as the owner).
revoke delete, truncate on slack_outbox from pcm_ops_runtime;
grant select, insert, update on slack_outbox to pcm_ops_runtime;
grant usage on sequence slack_outbox_id_seq to pcm_ops_runtime;

