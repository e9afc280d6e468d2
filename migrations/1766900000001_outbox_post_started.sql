-- Up Migration
-- Nothing twice in Slack: set just before chat.postMessage is called for an owed message. A row still pending
-- with it set may have been posted already (a crash, or an answer lost after Slack accepted the post): its
-- retry looks for the message by its metadata (the row id) before posting again.
alter table slack_outbox add column post_started_at timestamptz;
