-- JobMaster schema, version 3: what operators do by hand (`jm cancel`, `jm retry`,
-- `jm prune`) and the indexes `jm status` reads through.
-- Placeholders as in 0001.

-- Recent failures, newest first, without reading every finished job.
create index jobs_failed_recent on :schema.jobs (finished_at desc) where status = 'failed';
-- `--since` windows over finished jobs, answered from the index alone.
create index jobs_finished_window on :schema.jobs (finished_at) include (type_key, task_key, status)
  where finished_at is not null;




