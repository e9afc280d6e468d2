-- Up Migration
-- Issue 9: the request modal's type-ahead picker searches the inventory by instance id, computer name and IP
-- (prefix, case-insensitive) and by tag value (exact, case-insensitive). Collation "C" so `like 'q%'` is an index
-- range whatever the database collation, in the order the branch wants: each branch stops after its LIMIT.
-- DescribeInstanceInformation carries no tags: tags are recorded as the bot learns them (an instance matched by
-- `tag:K=V` at submit carries K=V), keyed by tag key, and their lower-cased values indexed for the picker.
alter table instances
  add column tags       jsonb  not null default '{}'::jsonb,
  add column tag_values text[] not null default '{}';
create index instances_id_prefix on instances ((instance_id collate "C"));
create index instances_name_prefix on instances ((lower(computer_name) collate "C"));
create index instances_ip_prefix on instances ((ip_address collate "C"));
create index instances_tag_values on instances using gin (tag_values);
