-- Up Migration
-- /readyz "outbox not stuck" asks when an owed Slack message was last delivered (or given up): an index on
-- done_at answers that from its newest entry, however long the delivered history is.
create index slack_outbox_done on slack_outbox (done_at) where done_at is not null;
