-- JobMaster schema, version 8: dependency checks that do not grow with the dependency's
-- history. Placeholders as in 0001.
-- A dependency is met when a job of its task whose arguments include the dependency's
-- arguments completed within its window. Up to version 7 that was looked up among the jobs
-- themselves: every completion of the task within the window (jobs_finished), each tested
-- for containment. With 100,000 completions of nice_tasks.foo in the window, a claim of 200
-- bar jobs whose foo had not run took 11.3 s (about 24 ms per check).
-- Version 8 keeps, for each task that some task depends on, its latest completion per
-- argument set (latest_completions), searched by containment through a GIN index. Only
-- completions of such tasks write a row there; other completions pay one probe of
-- task_dependencies per batch, which complete_jobs already made. A deploy that makes a task a
-- dependency fills in its completions of the last 30 days (the longest window), and one that
-- stops it being one removes them. Completions committed while this migration or such a
-- deploy runs, by a worker that still saw the old registry, can be missed: the dependency
-- is then run again, never skipped.
-- complete_jobs reaches the jobs through their ids whatever the statistics say (below), and
-- claim_jobs runs its dependency checks once per distinct dependency, on the rows it locked.
-- A dependency that names every parameter of its task no longer looks through the task's
-- waiting and running jobs for one that includes its arguments: enqueue finds the identical
-- job through the identity index, as it does for any job. (A job that differs only inside
-- a nested value, holds a job key or was fired by a schedule is then not waited for: the
-- dependency job is inserted and run.)

-- The latest completion of each argument set of a task something depends on. `lookup` holds
-- the arguments under the task's keys, {type_key: {task_key: arguments}}, so that each entry
-- of its containment index names the task as well as one argument's value: a dependency's
-- matches are found without reading the task's other completions. (The writers build it:
-- jsonb_build_object is not immutable, so it cannot be an index expression.)
-- Its pending list is kept to the smallest size: every dependency check reads it, and a
-- search reads through the whole list (a default-sized one of 100,000 completions made a
-- check take 2-9 ms; with 64 kB, 0.1 ms). Writing each entry straight into the index
-- instead cost a third more per recorded completion.
create table :schema.latest_completions (
  identity_hash uuid primary key,
  type_key      text not null,
  task_key      text not null,
  lookup        jsonb not null,
  job_id        bigint not null,
  finished_at   timestamptz not null
);
create index latest_completions_by_task on :schema.latest_completions (type_key, task_key, finished_at);
create index latest_completions_lookup on :schema.latest_completions using gin (lookup jsonb_path_ops)
  with (fastupdate = on, gin_pending_list_limit = 64);

-- Filled by the deploy that applies this version: after migrations, the deploy runs
-- track_completions (sql/functions/track_completions.sql), which brings in the completions of
-- the last 30 days of every task something depends on.
