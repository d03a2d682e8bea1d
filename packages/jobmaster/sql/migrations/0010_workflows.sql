-- JobMaster schema, version 10: workflows. Placeholders as in 0001.
-- A workflow is a DAG of steps, each an ordinary job of a task. `jm deploy` syncs the
-- definitions; a run is started from any door (start_workflow_run), and advanced in the
-- transaction that completes or fails one of its step jobs (workflow_steps_completed,
-- workflow_jobs_ended), so a crash can neither lose nor double an advance.

-- The deployed definitions, synced from the workflow files and defineWorkflow by `jm deploy`.
-- definition: {"description", "params": [{"name", "type", "required", "default"}],
--              "steps": [{"id", "type_key", "task_key", "requires", "args", "priority"}],
--              "schedule": {"cron", "time_zone", "catch_up", "backfill_limit"} | null}
create table :schema.workflows (
  name        text primary key check (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$'),
  definition  jsonb not null check (jsonb_typeof(definition -> 'steps') = 'array'),
  source_file text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

-- One run of a workflow. It keeps the definition it started with, so a deploy meanwhile
-- (a changed or removed workflow) does not change a run in flight.
create table :schema.workflow_runs (
  id            bigint generated always as identity primary key,
  workflow_name text not null,
  definition    jsonb not null,
  params        jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
  status        text not null default 'running' check (status in ('running', 'complete', 'failed', 'cancelled')),
  -- A caller-chosen name: while a run with a key runs, no other run of the workflow holds it.
  run_key       text check (run_key is null or length(run_key) between 1 and 255),
  -- Which schedule tick started the run; a tick starts at most one run.
  schedule_tick timestamptz,
  message       text,
  created_at    timestamptz not null default now(),
  finished_at   timestamptz
);
create unique index workflow_runs_active_key on :schema.workflow_runs (workflow_name, run_key)
  where run_key is not null and status = 'running';
create unique index workflow_runs_tick on :schema.workflow_runs (workflow_name, schedule_tick)
  where schedule_tick is not null;
create index workflow_runs_by_workflow on :schema.workflow_runs (workflow_name, status, id desc);
create index workflow_runs_recent on :schema.workflow_runs (id desc) include (workflow_name, status);

-- The steps of a run. pending counts the required steps not yet complete: a step starts when
-- it reaches 0, so advancing a run touches only the finished step's dependents.
-- status: 'pending' (requirements not complete), 'started' (its job exists: job_id), then
-- 'complete', 'failed', 'cancelled', or 'skipped' (the run failed or was cancelled first).
create table :schema.workflow_run_steps (
  run_id   bigint not null references :schema.workflow_runs on delete cascade,
  step_id  text not null,
  position integer not null,
  type_key text not null,
  task_key text not null,
  requires text[] not null default '{}',
  args     jsonb not null default '{}',
  priority integer not null default 0,
  pending  integer not null check (pending >= 0),
  status   text not null default 'pending'
             check (status in ('pending', 'started', 'complete', 'failed', 'cancelled', 'skipped')),
  job_id   bigint references :schema.jobs on delete set null,
  -- Earlier jobs of the step (before a retry), oldest first.
  past_job_ids bigint[] not null default '{}',
  result   jsonb,
  message  text,
  primary key (run_id, step_id)
);
create index workflow_run_steps_job on :schema.workflow_run_steps (job_id) where job_id is not null;

-- The run a job is a step of; null for every other job. Nullable without a default, so adding
-- it rewrites nothing; complete_jobs returns it from its UPDATE and advances runs only when a
-- completed job has one.
alter table :schema.jobs add column workflow_run_id bigint;

-- A schedule starts either a job of a task or a run of a workflow (workflow_name, synced by
-- `jm deploy` from the workflow's `schedule`); fire_schedule starts one run per tick.
alter table :schema.schedules add column workflow_name text;
alter table :schema.schedules alter column type_key drop not null, alter column task_key drop not null;
alter table :schema.schedules add constraint schedules_target
  check ((workflow_name is null) = (type_key is not null and task_key is not null));
