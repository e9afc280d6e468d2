-- Up Migration
-- Issue 9: the inventory's tags come from the Resource Groups Tagging API (GetResources) during each scope's sync.
-- A tag read is staged page by page (one insert per page) and applied to the scope's instances in one transaction
-- at its end, so a read that fails part-way leaves every instance with its last good tags. The scope remembers its
-- last good tag read, and the last failure, like its id sync.
alter table inventory_scopes
  add column tags_last_attempt_at timestamptz,
  add column tags_last_success_at timestamptz,
  add column tags_last_error      text;

create table instance_tag_reads (
  read_id     uuid        not null,
  instance_id text        not null,
  tags        jsonb       not null,
  created_at  timestamptz not null default now(),
  primary key (read_id, instance_id)
);
create index instance_tag_reads_created on instance_tag_reads (created_at);

revoke all on instance_tag_reads from pcm_ops_runtime;
-- DELETE: a read's staged rows go once applied or abandoned.
grant select, insert, delete on instance_tag_reads to pcm_ops_runtime;
