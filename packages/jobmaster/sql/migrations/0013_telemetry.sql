-- JobMaster schema, version 13: trace context carried by jobs, and queue gauges read from
-- indexes. Placeholders as in 0001.
-- The W3C trace context of the enqueue that created a job (OpenTelemetry's carrier, e.g.
-- {"traceparent": "00-...-01"}), so the run's span can link to it. Null when the enqueuing
-- application traces nothing: no cost on the insert path then.
alter table :schema.jobs add column trace_context jsonb;

-- The queue gauges (`queue_gauges`, `jm serve`'s /metrics) read each figure from an index
-- holding only what it counts. Scheduled and retried waiting jobs (the only ones whose run_at
-- is later than their creation) now carry their task and attempts in their index, so they are
-- counted from it alone: the same entries as before, none for a job enqueued to run now.
drop index :schema.jobs_waiting_run_at;
create index jobs_waiting_run_at on :schema.jobs (run_at) include (type_key, task_key, attempts)
  where status = 'waiting' and run_at > created_at;
-- Jobs a claim sent back to wait for their dependencies, by task: an entry when that happens,
-- none for any other job (a drain of jobs without dependencies never touches it).
create index jobs_waiting_for_dependencies on :schema.jobs (type_key, task_key)
  where status = 'waiting' and waiting_for is not null;
