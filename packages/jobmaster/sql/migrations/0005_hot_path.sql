-- JobMaster schema, version 5: a lighter hot path, measured with pnpm bench (docs/benchmarks.md).
-- - History: a job that starts and completes writes no history row (two rows per job, each
--   checked by a foreign key, were more than half of a no-op drain's SQL time). Its current
--   attempt's start is jobs.started_at and its completion jobs.finished_at; job_history()
--   puts them beside the rows in job_events. Every other change still writes its row, and a
--   job that leaves 'running' any other way records its start there first.
-- - Indexes: fewer entries per insert, claim and completion, and the identity as a uuid.
-- - enqueue_many checks a batch with one expression per task (arguments_check).
-- - claim_jobs decides fan-out, dependencies and a binding budget per batch, not per job.
-- Placeholders as in 0001.

-- Fewer indexes to update on every insert, claim and completion. The running jobs of a node
-- are few: the lease-expiry index finds them. jobs_task_status_finished took an entry at
-- each of the three; a dependency's completion is now found through jobs_finished (an entry
-- when a job finishes, which also serves --since windows and pruning by task), and its
-- waiting twin through jobs_waiting_by_task (below), its running twin among the running jobs.
drop index :schema.jobs_running_by_node;
drop index :schema.jobs_task_status_finished;
drop index :schema.jobs_finished_window;
create index jobs_finished on :schema.jobs (type_key, task_key, finished_at) where finished_at is not null;

-- A job's identity (task and arguments) as one stored uuid. The identity index was keyed on
-- (type_key, task_key, md5 text), compared under the database's collation at every insert
-- and at every claim (a claimed job's new row version enters the index again): most of a
-- claim's cost. A uuid compares as 16 bytes. chr(31) cannot occur in task names.
alter table :schema.jobs add column identity_hash uuid
  generated always as (md5(type_key || chr(31) || task_key || chr(31) || arguments::text)::uuid) stored;
drop index :schema.jobs_active_identity;
create unique index jobs_active_identity on :schema.jobs (identity_hash)
  where status in ('waiting', 'running') and job_key is null and schedule_name is null;
-- Waiting jobs by task, for finding a dependency's waiting twin; a claim never touches it.
create index jobs_waiting_by_task on :schema.jobs (type_key, task_key) where status = 'waiting';

-- Rows written before this version: the start of the current attempt and the completion
-- now come from the job row, so their history rows would show twice.
delete from :schema.job_events e
 using :schema.jobs j
 where e.job_id = j.id
   and ((e.status = 'complete' and j.status = 'complete')
        or (e.status = 'running' and j.status in ('running', 'complete') and e.at = j.started_at));












-- Most jobs run as soon as they are enqueued (run_at = created_at, the same transaction's
-- now()); only a job with a later run-at (scheduled, or a retry after its backoff) can
-- need a wake-up timer, so only those are indexed by run-at.
drop index :schema.jobs_waiting_run_at;
create index jobs_waiting_run_at on :schema.jobs (run_at) where status = 'waiting' and run_at > created_at;




