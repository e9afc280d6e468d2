-- Up Migration
-- Fleet-scale executor (issue 4).

-- Where SSM also wrote an invocation's full output when the action asks for it (S3 URLs and/or the
-- CloudWatch Logs group and streams); null when output lives only in this table.
alter table executions add column output_location jsonb;

-- Dispatch and collection address executions by chunk ("the executions of this command"); without
-- this every SendCommand and every collected page would scan the whole history.
create index executions_chunk on executions (chunk_id);
