-- Up Migration
-- Retention (issue 11, item 6). Old executions lose their stored stdout/stderr, never their status,
-- result (PCM_RESULT), timestamps or command id; approvals and audit events are never touched.
-- output_pruned_at says the output existed and was removed on purpose (the UI shows "output pruned").
alter table executions add column output_pruned_at timestamptz;

-- The rows retention still has to visit, oldest first: a pruned row (or one that never had output)
-- leaves this index, so each batch reads only what it changes.
create index executions_output_to_prune on executions (finished_at)
  where output_pruned_at is null and finished_at is not null and (stdout is not null or stderr is not null);

-- Inventory rows (a cache of where each instance lives) not seen for a long time are deleted.
create index instances_last_seen on instances (last_seen_at);

-- The runtime role may delete exactly this: cached inventory rows. Pruning output is an UPDATE it already
-- has on executions; it still may not DELETE runs, executions, approvals or audit events.
grant delete on instances to pcm_ops_runtime;
