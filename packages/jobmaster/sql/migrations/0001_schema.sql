-- JobMaster schema, version 1: the task registry, the job table with its history, and
-- the database-side enqueue that every door (SQL, CLI, TypeScript) goes through, so
-- arguments are validated by one set of rules.
--
-- Placeholders, substituted by the migrator after validating the schema name:
--   :schema          the quoted schema identifier, e.g. "jobmaster"
--   :channel_literal the NOTIFY channel as a quoted literal, e.g. 'jm:jobmaster'

-- The registry: synced from code by `jm deploy`.
create table :schema.tasks (
  type_key            text not null,
  task_key            text not null,
  process_units       integer not null default 1 check (process_units >= 0),
  write_all           text[] not null default '{}',
  max_attempts        integer not null default 3 check (max_attempts >= 1),
  retry_delay_seconds double precision not null default 5 check (retry_delay_seconds >= 0),
  description         text,
  primary key (type_key, task_key)
);

create table :schema.task_parameters (
  type_key      text not null,
  task_key      text not null,
  name          text not null,
  position      integer not null,
  json_type     text not null check (json_type in ('string', 'integer', 'number', 'boolean', 'object', 'array', 'null')),
  required      boolean not null,
  default_value jsonb,
  select_from   jsonb check (select_from is null or jsonb_typeof(select_from) = 'array'),
  help          text,
  primary key (type_key, task_key, name),
  foreign key (type_key, task_key) references :schema.tasks on delete cascade
);

create table :schema.task_dependencies (
  type_key            text not null,
  task_key            text not null,
  position            integer not null,
  depends_on_type_key text not null,
  depends_on_task_key text not null,
  -- How recently the dependency must have completed to count.
  freshness           interval not null,
  -- {"param": {"kind": "value", "value": V} | {"kind": "same", "parameter": P, "ops": [{"op": "+", "operand": 1}]}}
  arguments           jsonb not null default '{}',
  primary key (type_key, task_key, position),
  foreign key (type_key, task_key) references :schema.tasks on delete cascade,
  foreign key (depends_on_type_key, depends_on_task_key) references :schema.tasks on delete cascade
);

-- The queue. A job's creation is its created_at; every later status change is a row in job_events.
create table :schema.jobs (
  id                  bigint generated always as identity primary key,
  type_key            text not null,
  task_key            text not null,
  priority            integer not null default 0,
  arguments           jsonb not null,
  status              text not null default 'waiting'
                        check (status in ('waiting', 'running', 'complete', 'failed', 'cancelled')),
  process_units       integer not null,
  run_at              timestamptz not null default now(),
  created_at          timestamptz not null default now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  attempts            integer not null default 0,
  max_attempts        integer not null,
  -- Where it runs or last ran, and until when its worker's lease holds.
  node                text,
  pid                 integer,
  worker_id           text,
  lease_expires_at    timestamptz,
  -- Dependency jobs this job waits for before it may be claimed again.
  waiting_for         bigint[],
  dependency_requeues integer not null default 0,
  -- The job that inserted this one (write-all fan-out or a missing dependency).
  spawned_by          bigint references :schema.jobs on delete set null,
  result              jsonb,
  error               jsonb,
  message             text,
  cancel_requested    boolean not null default false,
  -- A caller-chosen name for the job. While a job with a key waits or runs, no other job of
  -- the same task may hold it (jobs_active_key decides races); once it finishes the key is free.
  job_key             text check (job_key is null or length(job_key) between 1 and 255),
  -- Which schedule tick inserted the job (see 0004); null for other jobs.
  schedule_name       text,
  schedule_tick       timestamptz
);

-- One waiting or running job per task and arguments: an identical enqueue gets the existing id.
-- A key, or a schedule tick, is the identity of its job instead.
create unique index jobs_active_identity on :schema.jobs (type_key, task_key, md5(arguments::text))
  where status in ('waiting', 'running') and job_key is null and schedule_name is null;
create unique index jobs_active_key on :schema.jobs (type_key, task_key, job_key)
  where job_key is not null and status in ('waiting', 'running');
-- A tick can never produce two jobs, whoever fires it and however often.
create unique index jobs_schedule_tick on :schema.jobs (schedule_name, schedule_tick)
  where schedule_name is not null;
-- The earliest future run_at, for an idle worker's wake-up timer.
create index jobs_waiting_run_at on :schema.jobs (run_at) where status = 'waiting';
-- The claim order: highest priority, then oldest.
create index jobs_claim_order on :schema.jobs (priority desc, id) where status = 'waiting';
create index jobs_running_by_node on :schema.jobs (node) where status = 'running';
create index jobs_lease_expiry on :schema.jobs (lease_expires_at) where status = 'running';
-- Dependency freshness checks and status summaries.
create index jobs_task_status_finished on :schema.jobs (type_key, task_key, status, finished_at);
create index jobs_spawned_by on :schema.jobs (spawned_by) where spawned_by is not null;

create table :schema.job_events (
  id      bigint generated always as identity primary key,
  job_id  bigint not null references :schema.jobs on delete cascade,
  at      timestamptz not null default now(),
  status  text not null,
  node    text,
  pid     integer,
  message text
);
create index job_events_job on :schema.job_events (job_id, id);




