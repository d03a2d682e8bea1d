create table api_tokens (
  name text not null,
  scope text not null,
  token_hash bytea not null,
  created_at timestamp with time zone not null default now(),
  expires_at timestamp with time zone,
  revoked_at timestamp with time zone,
  last_used_at timestamp with time zone,
  constraint api_tokens_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'::text)),
  constraint api_tokens_pkey PRIMARY KEY (name),
  constraint api_tokens_scope_check CHECK ((scope = ANY (ARRAY['read'::text, 'operate'::text, 'admin'::text]))),
  constraint api_tokens_token_hash_check CHECK ((length(token_hash) = 32)),
  constraint api_tokens_token_hash_key UNIQUE (token_hash)
);

create table job_alerts (
  id bigint generated always as identity not null,
  job_id bigint not null,
  type_key text not null,
  task_key text not null,
  final boolean not null,
  attempt integer not null,
  max_attempts integer not null,
  cause text not null,
  message text not null,
  stack text,
  node text,
  worker_id text,
  failed_at timestamp with time zone not null default now(),
  next_attempt_at timestamp with time zone not null default now(),
  deliveries integer not null default 0,
  claimed_by text,
  attempted_at timestamp with time zone,
  delivered_to text[] not null default '{}'::text[],
  last_error text,
  delivered_at timestamp with time zone,
  delivered_by text,
  constraint job_alerts_cause_check CHECK ((cause = ANY (ARRAY['error'::text, 'lease'::text, 'dependency'::text, 'claim'::text, 'next'::text]))),
  constraint job_alerts_pkey PRIMARY KEY (id)
);

create table job_events (
  id bigint generated always as identity not null,
  job_id bigint not null,
  at timestamp with time zone not null default now(),
  status text not null,
  node text,
  pid integer,
  message text,
  constraint job_events_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobmaster.jobs(id) ON DELETE CASCADE,
  constraint job_events_pkey PRIMARY KEY (id)
);

create table jobs (
  id bigint generated always as identity not null,
  type_key text not null,
  task_key text not null,
  priority integer not null default 0,
  arguments jsonb not null,
  status text not null default 'waiting'::text,
  process_units integer not null,
  run_at timestamp with time zone not null default now(),
  created_at timestamp with time zone not null default now(),
  started_at timestamp with time zone,
  finished_at timestamp with time zone,
  attempts integer not null default 0,
  max_attempts integer not null,
  node text,
  pid integer,
  worker_id text,
  lease_expires_at timestamp with time zone,
  waiting_for bigint[],
  dependency_requeues integer not null default 0,
  spawned_by bigint,
  result jsonb,
  error jsonb,
  message text,
  cancel_requested boolean not null default false,
  job_key text,
  schedule_name text,
  schedule_tick timestamp with time zone,
  identity_hash uuid default (md5(((((type_key || chr(31)) || task_key) || chr(31)) || (arguments)::text)))::uuid,
  workflow_run_id bigint,
  trace_context jsonb,
  constraint jobs_job_key_check CHECK (((job_key IS NULL) OR ((length(job_key) >= 1) AND (length(job_key) <= 255)))),
  constraint jobs_pkey PRIMARY KEY (id),
  constraint jobs_spawned_by_fkey FOREIGN KEY (spawned_by) REFERENCES jobmaster.jobs(id) ON DELETE SET NULL,
  constraint jobs_status_check CHECK ((status = ANY (ARRAY['waiting'::text, 'running'::text, 'complete'::text, 'failed'::text, 'cancelled'::text])))
);

create table latest_completions (
  identity_hash uuid not null,
  type_key text not null,
  task_key text not null,
  lookup jsonb not null,
  job_id bigint not null,
  finished_at timestamp with time zone not null,
  constraint latest_completions_pkey PRIMARY KEY (identity_hash)
);

create table migrations (
  id integer not null,
  name text not null,
  applied_at timestamp with time zone not null default now(),
  constraint migrations_pkey PRIMARY KEY (id)
);

create table schedules (
  name text not null,
  source text not null,
  type_key text,
  task_key text,
  arguments jsonb not null default '{}'::jsonb,
  cron text not null,
  time_zone text,
  catch_up text not null default 'latest'::text,
  backfill_limit integer,
  paused boolean not null default false,
  next_fire_at timestamp with time zone,
  last_tick_at timestamp with time zone,
  last_fired_at timestamp with time zone,
  last_job_id bigint,
  last_error text,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now(),
  workflow_name text,
  constraint schedules_arguments_check CHECK ((jsonb_typeof(arguments) = 'object'::text)),
  constraint schedules_backfill_limit_check CHECK (((backfill_limit >= 1) AND (backfill_limit <= 1000))),
  constraint schedules_catch_up_check CHECK ((catch_up = ANY (ARRAY['latest'::text, 'skip'::text, 'backfill'::text]))),
  constraint schedules_check CHECK (((catch_up = 'backfill'::text) = (backfill_limit IS NOT NULL))),
  constraint schedules_name_check CHECK ((name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$'::text)),
  constraint schedules_pkey PRIMARY KEY (name),
  constraint schedules_source_check CHECK ((source = ANY (ARRAY['code'::text, 'runtime'::text]))),
  constraint schedules_target CHECK (((workflow_name IS NULL) = ((type_key IS NOT NULL) AND (task_key IS NOT NULL))))
);

create table task_dependencies (
  type_key text not null,
  task_key text not null,
  "position" integer not null,
  depends_on_type_key text not null,
  depends_on_task_key text not null,
  freshness interval not null,
  arguments jsonb not null default '{}'::jsonb,
  constraint task_dependencies_depends_on_type_key_depends_on_task_key_fkey FOREIGN KEY (depends_on_type_key, depends_on_task_key) REFERENCES jobmaster.tasks(type_key, task_key) ON DELETE CASCADE,
  constraint task_dependencies_pkey PRIMARY KEY (type_key, task_key, "position"),
  constraint task_dependencies_type_key_task_key_fkey FOREIGN KEY (type_key, task_key) REFERENCES jobmaster.tasks(type_key, task_key) ON DELETE CASCADE
);

create table task_parameters (
  type_key text not null,
  task_key text not null,
  name text not null,
  "position" integer not null,
  json_type text not null,
  required boolean not null,
  default_value jsonb,
  select_from jsonb,
  help text,
  constraint task_parameters_json_type_check CHECK ((json_type = ANY (ARRAY['string'::text, 'integer'::text, 'number'::text, 'boolean'::text, 'object'::text, 'array'::text, 'null'::text]))),
  constraint task_parameters_pkey PRIMARY KEY (type_key, task_key, name),
  constraint task_parameters_select_from_check CHECK (((select_from IS NULL) OR (jsonb_typeof(select_from) = 'array'::text))),
  constraint task_parameters_type_key_task_key_fkey FOREIGN KEY (type_key, task_key) REFERENCES jobmaster.tasks(type_key, task_key) ON DELETE CASCADE
);

create table tasks (
  type_key text not null,
  task_key text not null,
  process_units integer not null default 1,
  write_all text[] not null default '{}'::text[],
  max_attempts integer not null default 3,
  retry_delay_seconds double precision not null default 5,
  description text,
  next_type_key text,
  next_task_key text,
  constraint tasks_max_attempts_check CHECK ((max_attempts >= 1)),
  constraint tasks_next_check CHECK (((next_type_key IS NULL) = (next_task_key IS NULL))),
  constraint tasks_next_fkey FOREIGN KEY (next_type_key, next_task_key) REFERENCES jobmaster.tasks(type_key, task_key) DEFERRABLE INITIALLY DEFERRED,
  constraint tasks_pkey PRIMARY KEY (type_key, task_key),
  constraint tasks_process_units_check CHECK ((process_units >= 0)),
  constraint tasks_retry_delay_seconds_check CHECK ((retry_delay_seconds >= (0)::double precision))
);

create table workers (
  worker_id text not null,
  node text not null,
  pid integer not null,
  process_units integer not null,
  concurrency integer not null,
  started_at timestamp with time zone not null default now(),
  last_seen_at timestamp with time zone not null default now(),
  alerts text,
  tasks text[],
  constraint workers_alerts_check CHECK ((alerts = ANY (ARRAY['final'::text, 'attempt'::text]))),
  constraint workers_pkey PRIMARY KEY (worker_id)
);

create table workflow_run_steps (
  run_id bigint not null,
  step_id text not null,
  "position" integer not null,
  type_key text not null,
  task_key text not null,
  requires text[] not null default '{}'::text[],
  args jsonb not null default '{}'::jsonb,
  priority integer not null default 0,
  pending integer not null,
  status text not null default 'pending'::text,
  job_id bigint,
  past_job_ids bigint[] not null default '{}'::bigint[],
  result jsonb,
  message text,
  constraint workflow_run_steps_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobmaster.jobs(id) ON DELETE SET NULL,
  constraint workflow_run_steps_pending_check CHECK ((pending >= 0)),
  constraint workflow_run_steps_pkey PRIMARY KEY (run_id, step_id),
  constraint workflow_run_steps_run_id_fkey FOREIGN KEY (run_id) REFERENCES jobmaster.workflow_runs(id) ON DELETE CASCADE,
  constraint workflow_run_steps_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'started'::text, 'complete'::text, 'failed'::text, 'cancelled'::text, 'skipped'::text])))
);

create table workflow_runs (
  id bigint generated always as identity not null,
  workflow_name text not null,
  definition jsonb not null,
  params jsonb not null default '{}'::jsonb,
  status text not null default 'running'::text,
  run_key text,
  schedule_tick timestamp with time zone,
  message text,
  created_at timestamp with time zone not null default now(),
  finished_at timestamp with time zone,
  trace_context jsonb,
  constraint workflow_runs_params_check CHECK ((jsonb_typeof(params) = 'object'::text)),
  constraint workflow_runs_pkey PRIMARY KEY (id),
  constraint workflow_runs_run_key_check CHECK (((run_key IS NULL) OR ((length(run_key) >= 1) AND (length(run_key) <= 255)))),
  constraint workflow_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'complete'::text, 'failed'::text, 'cancelled'::text])))
);

create table workflows (
  name text not null,
  definition jsonb not null,
  source_file text,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now(),
  constraint workflows_definition_check CHECK ((jsonb_typeof((definition -> 'steps'::text)) = 'array'::text)),
  constraint workflows_name_check CHECK ((name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$'::text)),
  constraint workflows_pkey PRIMARY KEY (name)
);

CREATE UNIQUE INDEX api_tokens_pkey ON jobmaster.api_tokens USING btree (name);

CREATE UNIQUE INDEX api_tokens_token_hash_key ON jobmaster.api_tokens USING btree (token_hash);

CREATE INDEX job_alerts_pending ON jobmaster.job_alerts USING btree (final DESC, id) WHERE (delivered_at IS NULL);

CREATE UNIQUE INDEX job_alerts_pkey ON jobmaster.job_alerts USING btree (id);

CREATE INDEX job_events_job ON jobmaster.job_events USING btree (job_id, id);

CREATE UNIQUE INDEX job_events_pkey ON jobmaster.job_events USING btree (id);

CREATE UNIQUE INDEX jobs_active_identity ON jobmaster.jobs USING btree (identity_hash) WHERE ((status = ANY (ARRAY['waiting'::text, 'running'::text])) AND (job_key IS NULL) AND (schedule_name IS NULL));

CREATE UNIQUE INDEX jobs_active_key ON jobmaster.jobs USING btree (type_key, task_key, job_key) WHERE ((job_key IS NOT NULL) AND (status = ANY (ARRAY['waiting'::text, 'running'::text])));

CREATE INDEX jobs_claim_order ON jobmaster.jobs USING btree (priority DESC, id) WHERE (status = 'waiting'::text);

CREATE INDEX jobs_failed_recent ON jobmaster.jobs USING btree (finished_at DESC) WHERE (status = 'failed'::text);

CREATE INDEX jobs_finished ON jobmaster.jobs USING btree (type_key, task_key, finished_at) WHERE (finished_at IS NOT NULL);

CREATE INDEX jobs_lease_expiry ON jobmaster.jobs USING btree (lease_expires_at) WHERE (status = 'running'::text);

CREATE UNIQUE INDEX jobs_pkey ON jobmaster.jobs USING btree (id);

CREATE UNIQUE INDEX jobs_schedule_tick ON jobmaster.jobs USING btree (schedule_name, schedule_tick) WHERE (schedule_name IS NOT NULL);

CREATE INDEX jobs_spawned_by ON jobmaster.jobs USING btree (spawned_by) WHERE (spawned_by IS NOT NULL);

CREATE INDEX jobs_status_id ON jobmaster.jobs USING btree (status, id) WHERE (finished_at IS NOT NULL);

CREATE INDEX jobs_task_id ON jobmaster.jobs USING btree (type_key, task_key, id) WHERE (finished_at IS NOT NULL);

CREATE INDEX jobs_waiting_by_task ON jobmaster.jobs USING btree (type_key, task_key, priority DESC, id) WHERE (status = 'waiting'::text);

CREATE INDEX jobs_waiting_for ON jobmaster.jobs USING gin (waiting_for) WHERE (waiting_for IS NOT NULL);

CREATE INDEX jobs_waiting_for_dependencies ON jobmaster.jobs USING btree (type_key, task_key) WHERE ((status = 'waiting'::text) AND (waiting_for IS NOT NULL));

CREATE INDEX jobs_waiting_run_at ON jobmaster.jobs USING btree (run_at) INCLUDE (type_key, task_key, attempts) WHERE ((status = 'waiting'::text) AND (run_at > created_at));

CREATE INDEX latest_completions_by_task ON jobmaster.latest_completions USING btree (type_key, task_key, finished_at);

CREATE INDEX latest_completions_lookup ON jobmaster.latest_completions USING gin (lookup jsonb_path_ops) WITH (fastupdate='on', gin_pending_list_limit='64');

CREATE UNIQUE INDEX latest_completions_pkey ON jobmaster.latest_completions USING btree (identity_hash);

CREATE UNIQUE INDEX migrations_pkey ON jobmaster.migrations USING btree (id);

CREATE INDEX schedules_due ON jobmaster.schedules USING btree (next_fire_at) WHERE (NOT paused);

CREATE UNIQUE INDEX schedules_pkey ON jobmaster.schedules USING btree (name);

CREATE UNIQUE INDEX task_dependencies_pkey ON jobmaster.task_dependencies USING btree (type_key, task_key, "position");

CREATE UNIQUE INDEX task_parameters_pkey ON jobmaster.task_parameters USING btree (type_key, task_key, name);

CREATE UNIQUE INDEX tasks_pkey ON jobmaster.tasks USING btree (type_key, task_key);

CREATE UNIQUE INDEX workers_pkey ON jobmaster.workers USING btree (worker_id);

CREATE INDEX workflow_run_steps_job ON jobmaster.workflow_run_steps USING btree (job_id) WHERE (job_id IS NOT NULL);

CREATE UNIQUE INDEX workflow_run_steps_pkey ON jobmaster.workflow_run_steps USING btree (run_id, step_id);

CREATE UNIQUE INDEX workflow_runs_active_key ON jobmaster.workflow_runs USING btree (workflow_name, run_key) WHERE ((run_key IS NOT NULL) AND (status = 'running'::text));

CREATE INDEX workflow_runs_by_workflow ON jobmaster.workflow_runs USING btree (workflow_name, status, id DESC);

CREATE UNIQUE INDEX workflow_runs_pkey ON jobmaster.workflow_runs USING btree (id);

CREATE INDEX workflow_runs_recent ON jobmaster.workflow_runs USING btree (id DESC) INCLUDE (workflow_name, status);

CREATE UNIQUE INDEX workflow_runs_tick ON jobmaster.workflow_runs USING btree (workflow_name, schedule_tick) WHERE (schedule_tick IS NOT NULL);

CREATE UNIQUE INDEX workflows_pkey ON jobmaster.workflows USING btree (name);

CREATE OR REPLACE FUNCTION jobmaster.add_schedule(p_name text, p_source text, p_type_key text, p_task_key text, p_arguments jsonb, p_cron text, p_time_zone text, p_catch_up text, p_backfill_limit integer, p_next_fire_at timestamp with time zone)
 RETURNS SETOF jobmaster.schedules
 LANGUAGE plpgsql
AS $function$
declare
  v_source text;
begin
  perform jobmaster.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select s.source into v_source from jobmaster.schedules s where s.name = p_name;
  if found then
    raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
      detail = jsonb_build_object('name', p_name, 'source', v_source)::text;
  end if;
  return query
    insert into jobmaster.schedules (name, source, type_key, task_key, arguments, cron, time_zone, catch_up, backfill_limit, next_fire_at)
    values (p_name, p_source, p_type_key, p_task_key, coalesce(p_arguments, '{}'), p_cron, p_time_zone, p_catch_up,
            p_backfill_limit, p_next_fire_at)
    returning *;
  perform pg_notify('jm:jobmaster', '');
exception when unique_violation then
  raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
    detail = jsonb_build_object('name', p_name, 'source', 'runtime')::text;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.arguments_check(p_type_key text, p_task_key text, OUT check_sql text, OUT defaults jsonb)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_write_all text[];
  v_param     record;
  v_value     text;
  v_ok        text;
begin
  select t.write_all into v_write_all from jobmaster.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  select format('(s.a - %L::text[]) = ''{}''::jsonb', coalesce(array_agg(p.name), '{}')),
         coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}')
    into check_sql, defaults
    from jobmaster.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key;
  for v_param in
    select * from jobmaster.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := format('(s.a -> %L)', v_param.name);
    v_ok := case v_param.json_type
              when 'integer' then format('(jsonb_typeof(%1$s) = ''number'' and scale((%1$s)::numeric) = 0)', v_value)
              else format('jsonb_typeof(%s) = %L', v_value, v_param.json_type)
            end;
    if v_param.select_from is not null then
      v_ok := format('(%s and %s = any (%L::jsonb[]))', v_ok, v_value,
                     (select array_agg(e) from jsonb_array_elements(v_param.select_from) e));
    end if;
    -- A number of 16 characters or more may be one JavaScript cannot hold, and a nested value
    -- may hold one: those are checked (unsafe_value), or left to prepare_arguments to name.
    -- A number not written as JavaScript writes it (1.0, 1.50) is too: prepare_arguments
    -- rewrites it.
    if v_param.json_type in ('number', 'integer') then
      v_ok := format('(%1$s and length(%2$s::text) < 16 and %2$s::text = ((%2$s::text)::float8)::text)', v_ok, v_value);
    elsif v_param.json_type in ('object', 'array') then
      v_ok := format('(%s and jobmaster.unsafe_value(%s) is null)', v_ok, v_value);
    end if;
    if v_param.name = any (v_write_all) then
      v_ok := format('(%s = ''"ALL"'' or %s)', v_value, v_ok);
    end if;
    if not v_param.required and v_param.default_value = 'null' then
      v_ok := format('(%s = ''null'' or %s)', v_value, v_ok);
    end if;
    check_sql := check_sql || ' and ' || case when v_param.required then format('s.a ? %L and %s', v_param.name, v_ok)
                                              else format('(not s.a ? %L or %s)', v_param.name, v_ok) end;
  end loop;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.cancel_jobs(p_ids bigint[], p_node text, p_pid integer)
 RETURNS TABLE(id bigint, status text, outcome text)
 LANGUAGE plpgsql
AS $function$
declare
  v_cancelled bigint[];
begin
  perform jobmaster.require_jobs(p_ids);
  -- Lock first: a worker claiming one of these jobs either finished claiming (we see running)
  -- or has not started (it skips the locked row).
  perform 1 from jobmaster.jobs j where j.id = any (p_ids) order by j.id for update;

  with cancelled as (
    update jobmaster.jobs j
       set status = 'cancelled', finished_at = now(), message = 'cancelled by an operator',
           waiting_for = null, lease_expires_at = null, worker_id = null
     where j.id = any (p_ids) and j.status = 'waiting'
    returning j.id
  ), events as (
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select c.id, 'cancelled', p_node, p_pid, 'cancelled by an operator' from cancelled c
  )
  select array_agg(c.id) into v_cancelled from cancelled c;

  update jobmaster.jobs j set cancel_requested = true
   where j.id = any (p_ids) and j.status = 'running' and not j.cancel_requested;

  if v_cancelled is not null then
    perform jobmaster.fail_dependents(v_cancelled, p_node, p_pid);
  end if;

  return query
    select g.id, j.status,
           case when j.id = any (coalesce(v_cancelled, '{}')) then 'cancelled'
                when j.status = 'running' then 'cancel_requested'
                else 'finished' end
      from (select distinct u.id from unnest(p_ids) u(id)) g
      join jobmaster.jobs j on j.id = g.id
     order by g.id;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.cancel_running_jobs(p_worker_id text, p_ids bigint[], p_message text)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET enable_seqscan TO 'off'
AS $function$
declare
  v_ids  bigint[];
  v_node text;
  v_pid  integer;
begin
  perform jobmaster.mark_started(p_worker_id, p_ids);
  perform jobmaster.record_starts(p_ids, p_worker_id);
  with cancelled as (
    update jobmaster.jobs j
       set status = 'cancelled', finished_at = now(), lease_expires_at = null, message = p_message
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid
  ), events as (
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select c.id, 'cancelled', c.node, c.pid, p_message from cancelled c
  )
  select array_agg(c.id), min(c.node), min(c.pid) into v_ids, v_node, v_pid from cancelled c;
  if v_ids is not null then
    perform jobmaster.fail_dependents(v_ids, v_node, v_pid);
  end if;
  return query select unnest(coalesce(v_ids, '{}'));
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.cancel_workflow_run(p_run_id bigint, p_node text, p_pid integer, OUT status text, OUT cancelled boolean)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
  v_jobs bigint[];
begin
  -- The run's unfinished jobs are locked before the run, as a completion locks its jobs before
  -- their run (complete_jobs, then workflow_steps_completed): the other order could deadlock.
  perform 1 from jobmaster.workflow_run_steps s join jobmaster.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and j.status in ('waiting', 'running') order by j.id for update of j;
  perform 1 from jobmaster.workflow_runs r where r.id = p_run_id for update;
  if not found then
    raise exception using errcode = 'JM009', message = format('No workflow run %s exists', p_run_id), detail = p_run_id::text;
  end if;
  cancelled := jobmaster.workflow_fail_run(p_run_id, 'cancelled', 'cancelled by an operator');
  select array_agg(s.job_id order by s.job_id) into v_jobs
    from jobmaster.workflow_run_steps s join jobmaster.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and s.status = 'started' and j.status in ('waiting', 'running');
  if v_jobs is not null then
    perform jobmaster.cancel_jobs(v_jobs, p_node, p_pid);
  end if;
  select r.status into status from jobmaster.workflow_runs r where r.id = p_run_id;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.chain_next_jobs(p_job_ids bigint[])
 RETURNS bigint[]
 LANGUAGE plpgsql
 SET enable_nestloop TO 'on'
 SET enable_mergejoin TO 'on'
 SET enable_seqscan TO 'on'
 SET enable_sort TO 'on'
 SET plan_cache_mode TO 'auto'
AS $function$
declare
  v_job     record;
  v_args    jsonb;
  v_refused bigint[];
  v_message text;
begin
  for v_job in
    select j.id, j.priority, j.result, j.node, j.pid, t.next_type_key, t.next_task_key
      from jobmaster.jobs j
      join jobmaster.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
     where j.id = any (p_job_ids) and t.next_task_key is not null
     order by j.id
  loop
    begin
      v_args := case when v_job.result is null or jsonb_typeof(v_job.result) = 'null' then '{}'::jsonb
                     when jsonb_typeof(v_job.result) = 'object' then v_job.result end;
      if v_args is null then
        raise exception using errcode = 'JM002',
          message = format('its result is %s %s, not an object of arguments',
                           case when jsonb_typeof(v_job.result) in ('array', 'object') then 'an' else 'a' end,
                           jsonb_typeof(v_job.result));
      end if;
      perform jobmaster.enqueue(v_job.next_type_key, v_job.next_task_key, v_job.priority, v_args, null, v_job.id, null, 'raise');
    exception when sqlstate 'JM001' or sqlstate 'JM002' or data_exception then
      -- enqueue's messages start with the task's name, which this one already gives.
      v_message := format('completed, but next task %s.%s refused its result: %s', v_job.next_type_key, v_job.next_task_key,
                          left(regexp_replace(sqlerrm, '^' || v_job.next_type_key || '\.' || v_job.next_task_key || ': ', ''), 500));
      -- The failure alert (job_alerts, cause 'next') is written by the statement that fails the job.
      with failed as (
        update jobmaster.jobs j
           set status = 'failed', message = v_message,
               error = jsonb_build_object('message', v_message, 'attempt', j.attempts)
         where j.id = v_job.id
        returning j.id, j.type_key, j.task_key, j.attempts, j.max_attempts, j.node
      )
      insert into jobmaster.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
      select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'next', v_message, f.node from failed f;
      insert into jobmaster.job_events (job_id, status, node, pid, message)
      values (v_job.id, 'failed', v_job.node, v_job.pid, v_message);
      v_refused := v_refused || v_job.id;
    end;
  end loop;
  return v_refused;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.checked_trace_context(p_whose text, p_trace_context jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
begin
  if p_trace_context is null or p_trace_context = 'null'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_trace_context) <> 'object' or length(p_trace_context::text) > 4096 then
    raise exception using errcode = 'JM002',
      message = format('%s: trace_context must be a JSON object of at most 4096 characters such as {"traceparent": "00-..."}, got %s',
                       p_whose, left(p_trace_context::text, 60));
  end if;
  return p_trace_context;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.claim_alerts(p_worker_id text, p_limit integer, p_lock_seconds double precision, p_attempts boolean, p_tasks text[])
 RETURNS TABLE(id bigint, job_id bigint, type_key text, task_key text, final boolean, attempt integer, max_attempts integer, cause text, message text, stack text, node text, failed_at timestamp with time zone, deliveries integer, delivered_to text[], arguments jsonb)
 LANGUAGE sql
 SET jit TO 'off'
AS $function$
  with due as (
    -- `final >= not p_attempts` keeps to the index's final-failure half when attempts are not wanted.
    select a.id from jobmaster.job_alerts a
     where a.delivered_at is null and a.final >= not p_attempts and a.next_attempt_at <= now()
       and (p_tasks is null or a.type_key || '.' || a.task_key = any (p_tasks))
     order by a.final desc, a.id
     limit p_limit
       for update skip locked
  ), claimed as (
    update jobmaster.job_alerts a
       set next_attempt_at = now() + make_interval(secs => p_lock_seconds), deliveries = a.deliveries + 1,
           claimed_by = p_worker_id, attempted_at = now()
      from due
     where a.id = due.id
    returning a.id, a.job_id, a.type_key, a.task_key, a.final, a.attempt, a.max_attempts, a.cause, a.message,
              a.stack, a.node, a.failed_at, a.deliveries, a.delivered_to
  )
  select c.id, c.job_id, c.type_key, c.task_key, c.final, c.attempt, c.max_attempts, c.cause, c.message,
         c.stack, c.node, c.failed_at, c.deliveries, c.delivered_to, j.arguments
    from claimed c
    left join jobmaster.jobs j on j.id = c.job_id
   order by c.final desc, c.id;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.claim_jobs(p_worker_id text, p_node text, p_pid integer, p_budget integer, p_limit integer, p_lease_seconds double precision, p_tasks text[], p_max_dependency_waits integer DEFAULT 20, p_start integer DEFAULT NULL::integer, p_started bigint[] DEFAULT NULL::bigint[])
 RETURNS TABLE(id bigint, type_key text, task_key text, arguments jsonb, priority integer, process_units integer, attempts integer, max_attempts integer, action text, message text, spawned integer, trace_context jsonb, waited_seconds double precision)
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET enable_sort TO 'off'
 SET enable_seqscan TO 'off'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
declare
  v_available integer;
  v_job       record;
  v_run       bigint[] := '{}';
  v_held      bigint[] := '{}';
  v_fan       jsonb;
  v_deps      record;
  v_action    text;
  v_message   text;
  v_spawned   integer;
  v_ids       bigint[];
  v_special   boolean;
  v_over      boolean;
  v_units     integer[];
  v_special_ids bigint[] := '{}';
  v_cand_ids  bigint[];
  v_cand_types text[];
  v_cand_tasks text[];
  v_cand_args jsonb[];
  v_worker_tasks text[];
  v_special_tasks text[];
  v_subset    boolean;
  v_heads     text;
begin
  if cardinality(p_started) > 0 then
    perform jobmaster.mark_started(p_worker_id, p_started, true);
  end if;
  -- Lease recovery is a function call with its own statements: about 0.1 ms, a third of a
  -- one-job claim's time in the server. Only made when some lease has lapsed.
  if exists (select 1 from jobmaster.jobs j where j.status = 'running' and j.lease_expires_at < now()) then
    perform jobmaster.recover_expired_leases();
  end if;
  perform pg_advisory_xact_lock(hashtext(format('jobmaster:node:%s:%s', 'jm:jobmaster', p_node)));
  select p_budget - coalesce(sum(j.process_units), 0) into v_available
    from jobmaster.jobs j where j.status = 'running' and j.node = p_node;

  -- The worker's tasks, those of them that can fan out or have dependencies, and whether it
  -- runs only some of the tasks.
  select coalesce(array_agg(t.name) filter (where t.mine), '{}'),
         coalesce(array_agg(t.name) filter (where t.mine and t.special), '{}'),
         coalesce(bool_or(not t.mine), false)
    into v_worker_tasks, v_special_tasks, v_subset
    from (select t.type_key || '.' || t.task_key as name,
                 p_tasks is null or (t.type_key || '.' || t.task_key) = any (p_tasks) as mine,
                 cardinality(t.write_all) > 0
                   or exists (select 1 from jobmaster.task_dependencies d where d.type_key = t.type_key and d.task_key = t.task_key) as special
            from jobmaster.tasks t) t;

  -- The candidates, locked: the best waiting jobs of the worker's tasks, and those of them of
  -- a task that can fan out or has dependencies, with their arguments (only then do the
  -- checks below run, on these rows). A worker that runs every task reads the head of the claim-order index. One that
  -- runs a few of them (up to 8) merges the heads of its tasks in jobs_waiting_by_task
  -- instead of reading through the others' jobs; it locks up to a batch per task, the
  -- unused rows until this claim commits, which is why a worker of many tasks stays on the
  -- claim-order index.
  if not v_subset or cardinality(v_worker_tasks) > 8 then
    select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > v_available,
           array[min(c.process_units), max(c.process_units)], array_agg(c.id) filter (where c.special),
           array_agg(c.type_key) filter (where c.special), array_agg(c.task_key) filter (where c.special),
           array_agg(c.arguments) filter (where c.special)
      into v_ids, v_over, v_units, v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args
      from (select j.id, j.priority, j.process_units, j.type_key, j.task_key, j.arguments,
                   (j.type_key || '.' || j.task_key) = any (v_special_tasks) as special
              from jobmaster.jobs j
             where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
               and (j.type_key || '.' || j.task_key) = any (v_worker_tasks)
               and (j.waiting_for is null or not exists (
                      select 1 from jobmaster.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
             order by j.priority desc, j.id
             limit p_limit
               for update of j skip locked) c;
  else
    -- One head per task, merged. Planned with the task names as constants: with parameters
    -- the planner cannot tell a task with few jobs among another's many, and reads the
    -- claim-order index through the others' jobs anyway.
    select string_agg(format($head$
             select * from (select j.id, j.priority, j.process_units, j.type_key, j.task_key, j.arguments, %L = any ($3) as special
                              from jobmaster.jobs j
                             where j.type_key = %L and j.task_key = %L
                               and j.status = 'waiting' and j.run_at <= now() and j.process_units <= $1
                               and (j.waiting_for is null or not exists (
                                      select 1 from jobmaster.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
                             order by j.priority desc, j.id
                             limit $2
                               for update of j skip locked) h$head$, t.type_key || '.' || t.task_key, t.type_key, t.task_key), ' union all ')
      into v_heads
      from jobmaster.tasks t
     where (t.type_key || '.' || t.task_key) = any (v_worker_tasks);
    v_ids := '{}';
    v_over := false;
    if v_heads is not null then
      execute format($sql$
        select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > $1,
               array[min(c.process_units), max(c.process_units)], array_agg(c.id) filter (where c.special),
               array_agg(c.type_key) filter (where c.special), array_agg(c.task_key) filter (where c.special),
               array_agg(c.arguments) filter (where c.special)
          from (select u.* from (%s) u order by u.priority desc, u.id limit $2) c
        $sql$, v_heads)
        into v_ids, v_over, v_units, v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args
        using v_available, p_limit, v_special_tasks;
    end if;
  end if;

  v_special := v_cand_ids is not null;
  if v_special then
    -- Which candidates fan out or have a dependency not met, decided for the whole batch:
    -- each distinct dependency (task, window, arguments) is looked up once, however many
    -- candidates need it. Dependencies with "same" arithmetic are left to unmet_dependencies.
    -- The candidates' rows come from the statement that locked them, and what a dependency's
    -- specification says is read once per dependency: its arguments are the same for every
    -- candidate when it gives only values.
    with cand as materialized (
      select c.id, c.type_key, c.task_key, c.arguments, t.write_all
        from unnest(v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args) c(id, type_key, task_key, arguments)
        join jobmaster.tasks t on t.type_key = c.type_key and t.task_key = c.task_key
    ), deps as materialized (
      select d.type_key, d.task_key, d.depends_on_type_key, d.depends_on_task_key, d.freshness, d.arguments as spec,
             exists (select 1 from jsonb_each(d.arguments) a
                      where a.value ->> 'kind' <> 'value' and coalesce(a.value -> 'ops', '[]') <> '[]') as arithmetic,
             case when not exists (select 1 from jsonb_each(d.arguments) a where a.value ->> 'kind' <> 'value')
                  then (select coalesce(jsonb_object_agg(a.key, a.value -> 'value'), '{}') from jsonb_each(d.arguments) a)
             end as fixed
        from jobmaster.task_dependencies d
       where (d.type_key || '.' || d.task_key) = any (v_special_tasks)
    ), needs as (
      select c.id, d.depends_on_type_key as type_key, d.depends_on_task_key as task_key, d.freshness, d.arithmetic,
             coalesce(d.fixed,
                      (select coalesce(jsonb_object_agg(a.key, case when a.value ->> 'kind' = 'value' then a.value -> 'value'
                                                                     else c.arguments -> (a.value ->> 'parameter') end), '{}')
                         from jsonb_each(d.spec) a)) as arguments
        from cand c
        join deps d on d.type_key = c.type_key and d.task_key = c.task_key
    ), wanted as materialized (
      -- Materialized, so that the lookup below runs once per distinct dependency: the planner
      -- would push its condition below the DISTINCT, to once per candidate.
      select distinct e.type_key, e.task_key, e.freshness, e.arguments from needs e where not e.arithmetic
    ), met as (
      select w.type_key, w.task_key, w.freshness, w.arguments
        from wanted w
       where jobmaster.dependency_completed(w.type_key, w.task_key, w.arguments, w.freshness)
    ), unmet as (
      select n.id from needs n
       where n.arithmetic
          or not exists (select 1 from met m where m.type_key = n.type_key and m.task_key = n.task_key
                                                and m.freshness = n.freshness and m.arguments = n.arguments)
    )
    select coalesce(array_agg(c.id) filter (where c.fans_out or c.id in (select u.id from unmet u)), '{}')
      into v_special_ids
      from (select c.*, cardinality(c.write_all) > 0
                        and exists (select 1 from unnest(c.write_all) w where c.arguments -> w = '"ALL"'::jsonb) as fans_out
              from cand c) c;
    v_special := cardinality(v_special_ids) > 0;
  end if;
  -- Fast path: no candidate fans out or waits for a dependency, and all fit the budget.
  if not v_special and not v_over then
    v_run := v_ids;
  elsif not v_special and v_units[1] = v_units[2] then
    -- Plain jobs of equal units and a budget that binds: the first that fit, in claim order.
    v_run := v_ids[1 : v_available / v_units[1]];
  else
  for v_job in
    select j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
           j.dependency_requeues, t.write_all,
           cardinality(t.write_all) > 0
             and exists (select 1 from unnest(t.write_all) w where j.arguments -> w = '"ALL"'::jsonb) as fans_out
      from jobmaster.jobs j
      join jobmaster.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
     where j.id = any (v_ids)
     order by j.priority desc, j.id
  loop
    -- Fan-out and unmet dependencies were judged above for the batch.
    if v_job.id = any (v_special_ids) then
      v_action := null;
      v_spawned := 0;
      -- Fan-out and dependency checks insert jobs; a failure there fails this job alone.
      begin
        if v_job.fans_out then
          v_fan := jobmaster.fan_out(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_job.write_all);
          v_spawned := (v_fan ->> 'inserted')::integer;
          v_action := 'fanned_out';
          v_message := format('fanned out into %s jobs (%s new)', v_fan ->> 'total', v_fan ->> 'inserted');
          -- Its history shows the completion from the row (job_history).
          update jobmaster.jobs j set status = 'complete', finished_at = now(), node = p_node, pid = p_pid,
                 message = v_message, result = v_fan where j.id = v_job.id;
          perform jobmaster.record_completions(array[v_job.id]);
        else
          select * into v_deps
            from jobmaster.unmet_dependencies(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments);
          if v_deps.wait_for is not null then
            v_spawned := v_deps.inserted;
            if v_job.dependency_requeues >= p_max_dependency_waits then
              v_action := 'failed';
              v_message := format('dependencies still unmet after %s checks (waiting for jobs %s); giving up',
                                  v_job.dependency_requeues, array_to_string(v_deps.wait_for, ', '));
            else
              v_action := 'waiting';
              v_message := format('waiting for dependency jobs %s', array_to_string(v_deps.wait_for, ', '));
              update jobmaster.jobs j set waiting_for = v_deps.wait_for, dependency_requeues = j.dependency_requeues + 1,
                     message = v_message where j.id = v_job.id;
              perform jobmaster.record_events(array[v_job.id], 'waiting', p_node, p_pid, v_message);
            end if;
          end if;
        end if;
      exception when others then
        v_action := 'failed';
        v_spawned := 0;
        v_message := format('could not prepare job: %s', sqlerrm);
      end;
      if v_action = 'failed' then
        with failed as (
          update jobmaster.jobs j set status = 'failed', finished_at = now(), node = p_node, pid = p_pid,
                 message = v_message where j.id = v_job.id
          returning j.id, j.type_key, j.task_key, j.attempts, j.max_attempts
        )
        insert into jobmaster.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node, worker_id)
        select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'claim', v_message, p_node, p_worker_id from failed f;
        perform jobmaster.record_events(array[v_job.id], 'failed', p_node, p_pid, v_message);
        perform jobmaster.fail_dependents(array[v_job.id], p_node, p_pid);
      end if;
      if v_action is not null then
        return query select v_job.id, v_job.type_key, v_job.task_key, v_job.arguments, v_job.priority,
                            v_job.process_units, v_job.attempts, v_job.max_attempts, v_action, v_message, v_spawned,
                            null::jsonb, null::double precision;
        continue;
      end if;
    end if;
    -- Units shrink as this batch fills: a job that no longer fits stays waiting.
    continue when v_job.process_units > v_available;
    v_available := v_available - v_job.process_units;
    v_run := v_run || v_job.id;
  end loop;
  end if;

  -- v_run is in claim order: the first p_start start now, the rest are held (see above).
  if p_start is not null and p_start < cardinality(v_run) then
    v_held := v_run[greatest(p_start, 0) + 1 :];
    v_run := v_run[1 : greatest(p_start, 0)];
  end if;
  if cardinality(v_run) > 0 then
    -- The start of an attempt is the row's started_at: no history row (see job_history).
    return query
      with claimed as (
        update jobmaster.jobs j
           set status = 'running', attempts = j.attempts + 1, started_at = now(), finished_at = null,
               node = p_node, pid = p_pid, worker_id = p_worker_id, waiting_for = null, message = null,
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
         where j.id = any (v_run)
        returning j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
                  j.trace_context, greatest(j.run_at, j.created_at) as due_at
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts, c.max_attempts,
             'run'::text, null::text, 0, c.trace_context, greatest(extract(epoch from now() - c.due_at)::double precision, 0)
        from claimed c order by c.priority desc, c.id;
  end if;
  if cardinality(v_held) > 0 then
    -- Returned with the attempt they will run as.
    return query
      with claimed as (
        update jobmaster.jobs j
           set status = 'running', started_at = null, finished_at = null,
               node = p_node, pid = p_pid, worker_id = p_worker_id, waiting_for = null, message = null,
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
         where j.id = any (v_held)
        returning j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
                  j.trace_context, greatest(j.run_at, j.created_at) as due_at
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts + 1, c.max_attempts,
             'run'::text, null::text, 0, c.trace_context, greatest(extract(epoch from now() - c.due_at)::double precision, 0)
        from claimed c order by c.priority desc, c.id;
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.complete_jobs(p_worker_id text, p_ids bigint[], p_results jsonb)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET enable_seqscan TO 'off'
 SET enable_nestloop TO 'off'
 SET enable_mergejoin TO 'off'
AS $function$
declare
  v_done  bigint[];
  v_tasks text[];
  v_steps bigint[]; -- workflow steps among v_done (jobs.workflow_run_id set)
  v_ok      bigint[]; -- v_done less the jobs whose next task refused their result
  v_refused bigint[];
begin
  if jsonb_typeof(p_results) is distinct from 'array' or jsonb_array_length(p_results) <> coalesce(cardinality(p_ids), 0) then
    raise exception using errcode = 'JM002', message = 'complete_jobs expects one result per job id, as a JSON array in the same order';
  end if;
  with done as (
    update jobmaster.jobs j
       set status = 'complete', finished_at = now(), result = p_results -> (r.ord::integer - 1),
           lease_expires_at = null, message = null,
           -- A job held ahead whose start was not reported yet counts its attempt now (claim_jobs).
           attempts = j.attempts + (j.started_at is null)::integer, started_at = coalesce(j.started_at, now())
      from unnest(p_ids) with ordinality r(id, ord)
     where j.id = any (p_ids) and j.id = r.id and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.type_key, j.task_key, j.workflow_run_id
  )
  select array_agg(d.id), array_agg(distinct d.type_key || '.' || d.task_key),
         array_agg(d.id) filter (where d.workflow_run_id is not null)
    into v_done, v_tasks, v_steps from done d;
  v_ok := v_done;
  -- Chains (`@task({ next })`): each completed job of a task with a next task enqueues its next
  -- job; a result the next task refuses fails the completed job instead. Plain jobs pay one
  -- look at the tasks table.
  if v_done is not null
     and exists (select 1 from jobmaster.tasks t
                  where t.next_task_key is not null and (t.type_key || '.' || t.task_key) = any (v_tasks)) then
    v_refused := jobmaster.chain_next_jobs(v_done);
    if v_refused is not null then
      v_ok := nullif(array(select unnest(v_done) except select unnest(v_refused)), '{}');
      v_steps := nullif(array(select unnest(v_steps) except select unnest(v_refused)), '{}');
      perform jobmaster.fail_dependents(v_refused, null, null);
    end if;
  end if;
  -- Workflows: advance the runs of completed steps, in this transaction. Plain jobs pay only
  -- the null test above.
  if v_steps is not null then
    perform jobmaster.workflow_steps_completed(v_steps);
  end if;
  -- Only jobs of tasks some task depends on are recorded, or waited for.
  if v_ok is not null
     and exists (select 1 from jobmaster.task_dependencies d
                  where (d.depends_on_type_key || '.' || d.depends_on_task_key) = any (v_tasks)) then
    perform jobmaster.record_completions(v_ok);
    -- Dependents of these jobs may now be claimable: wake idle workers.
    if exists (select 1 from jobmaster.jobs w where w.waiting_for && v_ok and w.waiting_for is not null) then
      perform pg_notify('jm:jobmaster', '');
    end if;
  end if;
  if coalesce(cardinality(v_ok), 0) < cardinality(p_ids) then
    return query select unnest(p_ids) except select unnest(v_ok);
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.complete_jobs(p_worker_id text, p_results jsonb)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
AS $function$
declare
  v_ids     bigint[];
  v_results jsonb;
  v_done    bigint[];
  v_steps   bigint[]; -- workflow steps among v_done
  v_refused bigint[]; -- jobs whose next task refused their result (chain_next_jobs)
begin
  select array_agg((r.value ->> 'id')::bigint), jsonb_object_agg(r.value ->> 'id', r.value -> 'result')
    into v_ids, v_results
    from jsonb_array_elements(p_results) r;
  with done as (
    update jobmaster.jobs j
       set status = 'complete', finished_at = now(), result = v_results -> (j.id::text), lease_expires_at = null, message = null,
           attempts = j.attempts + (j.started_at is null)::integer, started_at = coalesce(j.started_at, now())
     where j.id = any (v_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.workflow_run_id
  )
  select array_agg(d.id), array_agg(d.id) filter (where d.workflow_run_id is not null) into v_done, v_steps from done d;
  if v_done is not null then
    v_refused := jobmaster.chain_next_jobs(v_done);
    if v_refused is not null then
      v_done := nullif(array(select unnest(v_done) except select unnest(v_refused)), '{}');
      v_steps := nullif(array(select unnest(v_steps) except select unnest(v_refused)), '{}');
      perform jobmaster.fail_dependents(v_refused, null, null);
    end if;
  end if;
  if v_done is not null then
    perform jobmaster.record_completions(v_done);
  end if;
  if v_steps is not null then
    perform jobmaster.workflow_steps_completed(v_steps);
  end if;
  if v_done is not null and exists (select 1 from jobmaster.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
    perform pg_notify('jm:jobmaster', '');
  end if;
  return query select unnest(coalesce(v_done, '{}'));
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.dependency_arguments(p_spec jsonb, p_arguments jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  v_result jsonb := '{}';
  v_key    text;
  v_arg    jsonb;
  v_value  jsonb;
  v_number numeric;
  v_step   jsonb;
begin
  for v_key, v_arg in select key, value from jsonb_each(p_spec) loop
    if v_arg ->> 'kind' = 'value' then
      v_value := v_arg -> 'value';
    else
      v_value := p_arguments -> (v_arg ->> 'parameter');
      if jsonb_array_length(coalesce(v_arg -> 'ops', '[]')) > 0 then
        v_number := (v_value #>> '{}')::numeric;
        for v_step in select value from jsonb_array_elements(v_arg -> 'ops') loop
          v_number := case v_step ->> 'op'
                        when '+' then v_number + (v_step ->> 'operand')::numeric
                        when '-' then v_number - (v_step ->> 'operand')::numeric
                        when '*' then v_number * (v_step ->> 'operand')::numeric
                        when '/' then v_number / (v_step ->> 'operand')::numeric
                      end;
        end loop;
        v_value := to_jsonb(case when v_number = trunc(v_number) then trunc(v_number) else v_number end);
      end if;
    end if;
    v_result := v_result || jsonb_build_object(v_key, v_value);
  end loop;
  return v_result;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.dependency_completed(p_type_key text, p_task_key text, p_arguments jsonb, p_freshness interval)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET enable_nestloop TO 'on'
 SET enable_hashjoin TO 'off'
 SET enable_mergejoin TO 'off'
 SET enable_seqscan TO 'off'
AS $function$
  select case
    when p_arguments = '{}'::jsonb then exists (
      select 1 from jobmaster.latest_completions c
        join jobmaster.jobs j on j.id = c.job_id and j.status = 'complete'
       where c.type_key = p_type_key and c.task_key = p_task_key and c.finished_at >= now() - p_freshness
         and j.finished_at >= now() - p_freshness)
    else exists (
      select 1 from jobmaster.latest_completions c
        join jobmaster.jobs j on j.id = c.job_id and j.status = 'complete'
       where c.lookup @> jsonb_build_object(p_type_key, jsonb_build_object(p_task_key, p_arguments))
         and c.finished_at >= now() - p_freshness and j.finished_at >= now() - p_freshness)
  end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.enqueue(p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb, p_run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_spawned_by bigint DEFAULT NULL::bigint, p_job_key text DEFAULT NULL::text, p_on_conflict text DEFAULT 'raise'::text, p_trace_context jsonb DEFAULT NULL::jsonb, OUT job_id bigint, OUT inserted boolean, OUT outcome text)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_arguments jsonb;
  v_units     integer;
  v_max       integer;
  v_existing  record;
begin
  if p_priority is null then
    raise exception using errcode = 'JM002', message = format('%s: priority must be an integer, got null', v_task);
  end if;
  if p_job_key is not null and length(p_job_key) not between 1 and 255 then
    raise exception using errcode = 'JM002', message = format('%s: a job key must be 1 to 255 characters long, got %s', v_task, length(p_job_key));
  end if;
  if p_on_conflict is null or p_on_conflict not in ('raise', 'ignore', 'replace') then
    raise exception using errcode = 'JM002',
      message = format('%s: on_conflict must be raise, ignore or replace, got %s', v_task, coalesce(to_jsonb(left(p_on_conflict, 40))::text, 'null'));
  end if;
  p_trace_context := jobmaster.checked_trace_context(v_task, p_trace_context);
  if p_run_at is not null and not jobmaster.is_real_run_at(p_run_at) then
    raise exception using errcode = 'JM002',
      message = format('%s: run_at must be a time in the years 1 to 9999, got %s', v_task, p_run_at);
  end if;
  if p_trace_context is null and p_spawned_by is not null then
    select j.trace_context into p_trace_context from jobmaster.jobs j where j.id = p_spawned_by;
  end if;
  v_arguments := jobmaster.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select t.process_units, t.max_attempts into v_units, v_max
    from jobmaster.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;

  if p_job_key is null then
    loop
      insert into jobmaster.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, trace_context)
      values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_trace_context)
      on conflict (identity_hash)
        where status in ('waiting', 'running') and job_key is null and schedule_name is null
        do nothing
      returning id into job_id;
      if job_id is not null then
        inserted := true;
        outcome := 'inserted';
        perform pg_notify('jm:jobmaster', '');
        return;
      end if;
      -- An identical job is waiting or running; it may finish before we read it, then retry the insert.
      select j.id into job_id from jobmaster.jobs j
       where j.identity_hash = md5(p_type_key || chr(31) || p_task_key || chr(31) || v_arguments::text)::uuid
         and j.job_key is null and j.schedule_name is null and j.status in ('waiting', 'running');
      if job_id is not null then
        inserted := false;
        outcome := 'identical';
        return;
      end if;
    end loop;
  end if;

  loop
    insert into jobmaster.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, job_key, trace_context)
    values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_job_key, p_trace_context)
    on conflict (type_key, task_key, job_key) where job_key is not null and status in ('waiting', 'running') do nothing
    returning id into job_id;
    if job_id is not null then
      inserted := true;
      outcome := coalesce(outcome, 'inserted');
      perform pg_notify('jm:jobmaster', '');
      return;
    end if;
    -- The key is held. Lock the holder: a claim in progress finishes first, so we see
    -- whether it still waits or now runs.
    select j.id, j.status into v_existing from jobmaster.jobs j
     where j.type_key = p_type_key and j.task_key = p_task_key and j.job_key = p_job_key
       and j.status in ('waiting', 'running')
     for update;
    continue when not found; -- it finished meanwhile: the key is free again
    if p_on_conflict = 'ignore' then
      job_id := v_existing.id;
      inserted := false;
      outcome := 'existing';
      return;
    elsif p_on_conflict = 'raise' then
      raise exception using errcode = 'JM004',
        message = format('%s: a job with key %s is already %s (job %s); enqueue with on_conflict ignore or replace to reuse it',
                         v_task, to_jsonb(p_job_key)::text, v_existing.status, v_existing.id),
        detail = jsonb_build_object('job_id', v_existing.id::text, 'status', v_existing.status,
                                    'job_key', p_job_key, 'task', v_task)::text;
    elsif v_existing.status = 'waiting' then
      update jobmaster.jobs j
         set arguments = v_arguments, priority = p_priority, run_at = coalesce(p_run_at, now()),
             process_units = v_units, max_attempts = v_max, attempts = 0, error = null,
             waiting_for = null, dependency_requeues = 0, trace_context = p_trace_context,
             message = 'replaced by a new enqueue with the same key'
       where j.id = v_existing.id;
      insert into jobmaster.job_events (job_id, status, message)
      values (v_existing.id, 'waiting', 'replaced by a new enqueue with the same key');
      perform pg_notify('jm:jobmaster', '');
      job_id := v_existing.id;
      inserted := false;
      outcome := 'replaced';
      return;
    else
      -- Running: it cannot take new arguments. It finishes as it is, without retries, and
      -- the key passes to a new job with the new request.
      update jobmaster.jobs j
         set job_key = null, max_attempts = least(j.max_attempts, j.attempts)
       where j.id = v_existing.id;
      outcome := 'superseded';
    end if;
  end loop;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.enqueue_many(p_jobs jsonb)
 RETURNS TABLE(job_id bigint, inserted boolean, outcome text)
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
declare
  v_job      jsonb;
  v_n        integer;
  v_task     record;
  v_check    text := '';
  v_fill     text := '';
  v_head     text;
  v_insert   text;
  v_ok       boolean;
  v_ids      bigint[];
  v_added    integer;
  v_dup_ords integer[];
  v_twins    bigint[];
  v_args     jsonb[];
  v_outcome  text[];
  v_seq      regclass;
  i          integer;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
  end if;
  v_n := jsonb_array_length(p_jobs);
  if v_n = 0 then
    return;
  end if;

  -- A single job goes through enqueue (see above): v_check stays empty.
  if v_n > 1 then
    for v_task in
      select t.type_key, t.task_key, c.check_sql, c.defaults
        from (select distinct e ->> 'type_key' as type_key, e ->> 'task_key' as task_key
                from jsonb_array_elements(p_jobs) e where jsonb_typeof(e) = 'object') d
        join jobmaster.tasks t on t.type_key = d.type_key and t.task_key = d.task_key
       cross join lateral jobmaster.arguments_check(t.type_key, t.task_key) c
    loop
      v_check := v_check || format(' when s.type_key = %L and s.task_key = %L then %s', v_task.type_key, v_task.task_key, v_task.check_sql);
      v_fill := v_fill || format(' when s.type_key = %L and s.task_key = %L then %L::jsonb || s.a', v_task.type_key, v_task.task_key, v_task.defaults);
    end loop;
  end if;

  if v_check <> '' then
    -- Ids follow the array's order; rows go in sorted by identity (the hash first: comparing
    -- the arguments themselves only breaks its ties), so two batches holding the same jobs in
    -- different orders lock them in the same order and cannot deadlock.
    v_seq := pg_get_serial_sequence('jobmaster.jobs', 'id')::regclass;
    v_ids := array(select nextval(v_seq) from generate_series(1, v_n));
    -- The batch checked and filled in: CTEs src, checked (one row per job) and verdict.
    v_head := format($sql$
      with src as materialized (
        select e.ord::integer as ord, e.job, e.job ->> 'type_key' as type_key, e.job ->> 'task_key' as task_key,
               case when e.job -> 'arguments' is null or e.job -> 'arguments' = 'null' then '{}'::jsonb
                    when jsonb_typeof(e.job -> 'arguments') = 'object' then e.job -> 'arguments' end as a
          from jsonb_array_elements($1) with ordinality e(job, ord)
      ), checked as (
        select s.ord, s.job, t.type_key, t.task_key, t.process_units, t.max_attempts,
               case when s.job -> 'priority' is null or s.job -> 'priority' = 'null' then 0
                    when jsonb_typeof(s.job -> 'priority') <> 'number' then null
                    when (s.job ->> 'priority') !~ '^-?[0-9]{1,10}$' then null
                    when (s.job ->> 'priority')::bigint between -2147483648 and 2147483647 then (s.job ->> 'priority')::integer
               end as priority,
               case %1$s end as arguments,
               t.type_key is not null and s.a is not null
                 and jsonb_typeof(s.job -> 'type_key') = 'string' and jsonb_typeof(s.job -> 'task_key') = 'string'
                 and (s.job -> 'job_key' is null or s.job -> 'job_key' = 'null')
                 and coalesce(s.job ->> 'on_conflict', 'raise') in ('raise', 'ignore', 'replace')
                 and (s.job -> 'trace_context' is null or jsonb_typeof(s.job -> 'trace_context') = 'null'
                      or (jsonb_typeof(s.job -> 'trace_context') = 'object' and length((s.job -> 'trace_context')::text) <= 4096))
                 and (s.job -> 'run_at' is null or jsonb_typeof(s.job -> 'run_at') = 'null'
                      or (jsonb_typeof(s.job -> 'run_at') = 'string' and jobmaster.is_real_run_at((s.job ->> 'run_at')::timestamptz)))
                 and coalesce(case %2$s else false end, false) as ok
          from src s
          left join jobmaster.tasks t on t.type_key = s.type_key and t.task_key = s.task_key
      ), verdict as (
        select bool_and(c.ok and c.priority is not null) as ok from checked c
      )$sql$, v_fill, v_check);
    -- The batch's insert, in identity order, up to its ON CONFLICT and RETURNING clauses.
    v_insert := $sql$, ins as (
        insert into jobmaster.jobs (id, type_key, task_key, priority, arguments, process_units, max_attempts, run_at, trace_context)
        overriding system value
        select ($2::bigint[])[c.ord], c.type_key, c.task_key, c.priority, c.arguments, c.process_units, c.max_attempts,
               coalesce((c.job ->> 'run_at')::timestamptz, now()), nullif(c.job -> 'trace_context', 'null'::jsonb)
          from checked c
         where (select v.ok from verdict v)
         order by c.type_key, c.task_key, jsonb_hash(c.arguments), c.arguments, c.ord$sql$;
    -- First as a plain insert: in nearly every batch no identical job is waiting or running
    -- or in the batch twice, and ON CONFLICT's speculative insertion costs about a fifth of
    -- the insert. A unique violation undoes it (a subtransaction) and the batch goes in again
    -- with ON CONFLICT, which finds the twins.
    begin
      execute v_head || v_insert || $sql$
        returning 1
      )
      select (select v.ok from verdict v), (select count(*)::integer from ins)
      $sql$
      into v_ok, v_added
      using p_jobs, v_ids;
    exception when unique_violation then
      v_ok := null;
    end;
    if v_ok is null then
      execute v_head || v_insert || $sql$
        on conflict (identity_hash)
          where status in ('waiting', 'running') and job_key is null and schedule_name is null
          do nothing
        returning id
      ), skipped as (
        -- Jobs the insert skipped: an identical job, earlier in the batch or already waiting
        -- or running, holds their identity. Null twin: it finished meanwhile.
        select c.ord, c.arguments,
               (select j.id from jobmaster.jobs j
                 where j.identity_hash = md5(c.type_key || chr(31) || c.task_key || chr(31) || c.arguments::text)::uuid
                   and j.status in ('waiting', 'running') and j.job_key is null and j.schedule_name is null) as twin
          from checked c
         where (select v.ok from verdict v) and (select count(*) from ins) < $3
           and not exists (select 1 from ins n where n.id = ($2::bigint[])[c.ord])
      )
      select (select v.ok from verdict v), (select count(*)::integer from ins),
             (select array_agg(k.ord order by k.ord) from skipped k),
             (select array_agg(k.twin order by k.ord) from skipped k),
             (select array_agg(k.arguments order by k.ord) from skipped k)
      $sql$
      into v_ok, v_added, v_dup_ords, v_twins, v_args
      using p_jobs, v_ids, v_n;
    end if;
  end if;

  if coalesce(v_ok, false) then
    v_outcome := array_fill('inserted'::text, array[v_n]);
    for i in 1 .. coalesce(cardinality(v_dup_ords), 0) loop
      v_job := p_jobs -> (v_dup_ords[i] - 1);
      if v_twins[i] is null then
        -- The identical job finished meanwhile: enqueue this one alone (it retries the insert).
        select e.job_id, e.outcome into job_id, outcome
          from jobmaster.enqueue(v_job ->> 'type_key', v_job ->> 'task_key', coalesce((v_job ->> 'priority')::integer, 0),
                               v_args[i], (v_job ->> 'run_at')::timestamptz, null, null, 'raise', v_job -> 'trace_context') e;
        v_ids[v_dup_ords[i]] := job_id;
        v_outcome[v_dup_ords[i]] := outcome;
      else
        v_ids[v_dup_ords[i]] := v_twins[i];
        v_outcome[v_dup_ords[i]] := 'identical';
      end if;
    end loop;
    if v_added > 0 then
      perform pg_notify('jm:jobmaster', '');
    end if;
    return query select u.id, u.outcome = 'inserted', u.outcome from unnest(v_ids, v_outcome) u(id, outcome);
    return;
  end if;

  for v_job in select value from jsonb_array_elements(p_jobs) with ordinality order by ordinality loop
    select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
      from jobmaster.enqueue(v_job ->> 'type_key', v_job ->> 'task_key',
                           coalesce((v_job ->> 'priority')::integer, 0), v_job -> 'arguments',
                           (v_job ->> 'run_at')::timestamptz, null,
                           v_job ->> 'job_key', coalesce(v_job ->> 'on_conflict', 'raise'), v_job -> 'trace_context') e;
    return next;
  end loop;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.explain_job(p_id bigint)
 RETURNS TABLE(code text, message text, facts jsonb)
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
declare
  v_job      jobmaster.jobs;
  v_name     text;
  v_t        text;
  v_known    boolean;
  v_blocked  boolean := false;
  v_row      record;
  v_live     integer;
  v_loading  integer;
  v_large    jsonb;
  v_full     jsonb;
  v_fit      jsonb;
  v_ahead    integer;
  v_write    text[];
  v_fan      jsonb;
  v_deps     jsonb;
  v_worker   jobmaster.workers;
  v_twin     bigint;
  v_twin_status text;
begin
  perform jobmaster.require_jobs(array[p_id]);
  select * into v_job from jobmaster.jobs j where j.id = p_id;
  v_name := v_job.type_key || '.' || v_job.task_key;
  select true, t.write_all into v_known, v_write from jobmaster.tasks t
   where t.type_key = v_job.type_key and t.task_key = v_job.task_key;

  if v_job.status in ('complete', 'failed', 'cancelled') then
    code := case v_job.status when 'complete' then 'completed' else v_job.status end;
    v_t := jobmaster.shown_time(v_job.finished_at);
    message := case v_job.status
      when 'complete' then format('completed at %s after %s attempt%s%s%s', v_t, v_job.attempts,
                                  case when v_job.attempts = 1 then '' else 's' end,
                                  coalesce(' on node ' || v_job.node, ''), coalesce(': ' || v_job.message, ''))
      when 'failed' then format('failed for good at %s after %s of %s attempts: %s', v_t, v_job.attempts, v_job.max_attempts,
                                coalesce(v_job.message, v_job.error ->> 'message', 'no message'))
      else format('cancelled at %s%s', v_t, coalesce(': ' || v_job.message, '')) end;
    facts := jsonb_build_object('finished_at', v_job.finished_at, 'attempts', v_job.attempts, 'max_attempts', v_job.max_attempts,
                                'node', v_job.node, 'message', v_job.message, 'error', v_job.error -> 'message');
    return next;
    -- Only one job of a task and arguments (or key) may wait or run: a retry of this one meets it.
    if v_job.job_key is not null then
      select t.id, t.status into v_twin, v_twin_status from jobmaster.jobs t
       where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.job_key = v_job.job_key
         and t.status in ('waiting', 'running');
    elsif v_job.schedule_name is null then
      select t.id, t.status into v_twin, v_twin_status from jobmaster.jobs t
       where t.identity_hash = v_job.identity_hash and t.job_key is null and t.schedule_name is null
         and t.status in ('waiting', 'running');
    end if;
    if v_twin is not null then
      code := case when v_job.job_key is null then 'identical_twin' else 'keyed_twin' end;
      message := format('%s job %s is %s: a retry of this job is refused while it waits or runs, and an enqueue returns it',
                        case when v_job.job_key is null then 'an identical' else format('job key %s is held: its', to_jsonb(v_job.job_key)) end,
                        v_twin, v_twin_status);
      facts := jsonb_build_object('job_id', v_twin::text, 'status', v_twin_status, 'job_key', v_job.job_key);
      return next;
    end if;
  elsif v_job.status = 'running' then
    select * into v_worker from jobmaster.workers w where w.worker_id = v_job.worker_id;
    v_t := coalesce(jobmaster.shown_time(v_worker.last_seen_at), 'never (its worker is gone)');
    facts := jsonb_build_object('worker_id', v_job.worker_id, 'node', v_job.node, 'pid', v_job.pid,
                                'lease_expires_at', v_job.lease_expires_at, 'last_heartbeat_at', v_worker.last_seen_at,
                                'started_at', v_job.started_at, 'attempt', v_job.attempts + (v_job.started_at is null)::integer,
                                'max_attempts', v_job.max_attempts, 'held_ahead', v_job.started_at is null,
                                'cancel_requested', v_job.cancel_requested);
    if v_job.lease_expires_at < now() then
      code := 'lease_expired';
      message := format('its lease, held by worker %s on node %s, expired at %s (last heartbeat %s): the next claim puts it back to waiting',
                        v_job.worker_id, v_job.node, jobmaster.shown_time(v_job.lease_expires_at), v_t);
    else
      code := 'leased';
      message := format('%s by worker %s on node %s (pid %s)%s; leased until %s, last heartbeat %s%s',
                        case when v_job.started_at is null then 'claimed ahead, not started yet,'
                             else format('running attempt %s of %s since %s', v_job.attempts, v_job.max_attempts,
                                         jobmaster.shown_time(v_job.started_at)) end,
                        v_job.worker_id, v_job.node, v_job.pid, '', jobmaster.shown_time(v_job.lease_expires_at), v_t,
                        case when v_job.cancel_requested then '; cancellation requested' else '' end);
    end if;
    return next;
  else
    -- Waiting: each rule of claim_jobs' candidate statement that holds it back.
    if v_known is null then
      v_blocked := true;
      return query select 'task_not_deployed', format('task %s is not deployed: no worker claims its jobs ("jm deploy" syncs the tasks in code)', v_name),
                          jsonb_build_object('task', v_name);
    end if;
    if v_job.run_at > now() then
      v_blocked := true;
      if v_job.attempts > 0 and v_job.error is not null then
        return query select 'retry_backoff',
          format('attempt %s of %s failed (%s); it retries at %s (in %s)', v_job.attempts, v_job.max_attempts,
                 coalesce(v_job.error ->> 'message', 'no message'), jobmaster.shown_time(v_job.run_at), date_trunc('second', v_job.run_at - now())),
          jsonb_build_object('run_at', v_job.run_at, 'attempts', v_job.attempts, 'max_attempts', v_job.max_attempts,
                             'error', v_job.error -> 'message');
      else
        return query select 'run_at_future',
          format('it is not to run before %s (in %s)', jobmaster.shown_time(v_job.run_at), date_trunc('second', v_job.run_at - now())),
          jsonb_build_object('run_at', v_job.run_at);
      end if;
    end if;
    if v_job.waiting_for is not null then
      for v_row in
        select w.id, w.type_key || '.' || w.task_key as task, w.status,
               case when w.status = 'running' then coalesce(w.started_at, w.created_at) else w.created_at end as since
          from jobmaster.jobs w where w.id = any (v_job.waiting_for) and w.status in ('waiting', 'running') order by w.id
      loop
        v_blocked := true;
        return query select 'waiting_for_dependency',
          format('waiting for dependency job %s (%s, %s since %s)', v_row.id, v_row.task, v_row.status, jobmaster.shown_time(v_row.since)),
          jsonb_build_object('job_id', v_row.id::text, 'task', v_row.task, 'status', v_row.status, 'since', v_row.since);
      end loop;
    end if;

    -- The live workers (seen within a minute, as jm status counts them), and for each that
    -- runs the task what its claim would find free: its budget minus its node's running units.
    -- (A worker killed less than a minute ago still counts: its heartbeat is that recent.)
    with live as (
      select w.worker_id, w.node, w.process_units as budget, w.concurrency, w.tasks is null or v_name = any (w.tasks) as loads
        from jobmaster.workers w where w.last_seen_at > now() - interval '60 seconds'
    ), used as (
      select j.node, sum(j.process_units)::integer as in_use,
             jsonb_agg(jsonb_build_object('job_id', j.id::text, 'task', j.type_key || '.' || j.task_key,
                                          'process_units', j.process_units) order by j.id) as jobs
        from jobmaster.jobs j
       where j.status = 'running' and j.node in (select l.node from live l where l.loads)
         -- A claim first returns jobs whose lease lapsed (recover_expired_leases): not in use.
         and not coalesce(j.lease_expires_at < now(), false)
       group by j.node
    ), judged as (
      select l.*, coalesce(u.in_use, 0) as in_use, coalesce(u.jobs, '[]') as jobs,
             l.budget - coalesce(u.in_use, 0) as available
        from live l left join used u on u.node = l.node where l.loads
    )
    select (select count(*) from live),
           (select count(*) from judged),
           (select jsonb_agg(distinct jsonb_build_object('node', j.node, 'budget', j.budget)) from judged j),
           (select jsonb_agg(distinct jsonb_build_object('node', j.node, 'budget', j.budget, 'in_use', j.in_use,
                                                         'jobs', jsonb_path_query_array(j.jobs, '$[0 to 9]')))
              from judged j where j.budget >= v_job.process_units),
           -- Not a claim rule, but why a claimable job can still wait: a worker claims only for free slots.
           (select jsonb_agg(jsonb_build_object('worker_id', j.worker_id, 'node', j.node, 'available', j.available,
                                                'free_slots', greatest(j.concurrency - (select count(*) from jobmaster.jobs r
                                                                                        where r.status = 'running' and r.worker_id = j.worker_id), 0))
                             order by j.available desc)
              from judged j where v_job.process_units <= j.available)
      into v_live, v_loading, v_large, v_full, v_fit;
    if v_live = 0 then
      v_blocked := true;
      return query select 'no_live_worker', 'no worker is running (none has been seen in the last minute)', '{}'::jsonb;
    elsif v_loading = 0 then
      v_blocked := true;
      return query select 'task_not_loaded',
        format('none of the %s live worker%s has loaded task %s (start one whose --tasks include it)', v_live,
               case when v_live = 1 then '' else 's' end, v_name),
        jsonb_build_object('task', v_name, 'live_workers', v_live);
    elsif v_full is null then
      v_blocked := true;
      return query select 'too_large',
        format('it needs %s process unit%s, more than the budget of every live node that runs %s (%s)', v_job.process_units,
               case when v_job.process_units = 1 then '' else 's' end, v_name,
               (select string_agg(format('%s: %s', e ->> 'node', e ->> 'budget'), ', ' order by e ->> 'node') from jsonb_array_elements(v_large) e)),
        jsonb_build_object('process_units', v_job.process_units, 'nodes', v_large);
    elsif v_fit is null then
      v_blocked := true;
      return query select 'budget_full',
        format('it needs %s process unit%s and no node has %s free: %s', v_job.process_units,
               case when v_job.process_units = 1 then '' else 's' end, case when v_job.process_units = 1 then 'it' else 'them' end,
               (select string_agg(format('%s has %s of %s in use (jobs %s)', e ->> 'node', e ->> 'in_use', e ->> 'budget',
                                         (select string_agg(format('%s %s', x ->> 'job_id', x ->> 'task'), ', ')
                                            from jsonb_array_elements(e -> 'jobs') x)), '; ' order by e ->> 'node')
                  from jsonb_array_elements(v_full) e)),
        jsonb_build_object('process_units', v_job.process_units, 'nodes', v_full);
    end if;

    if not v_blocked then
      select count(*) into v_ahead from (
        select 1 from jobmaster.jobs a
         where a.status = 'waiting' and a.run_at <= now()
           and (a.priority > v_job.priority or (a.priority = v_job.priority and a.id < v_job.id))
         limit 1000) a;
      return query select 'claimable',
        format('a worker on node %s (%s unit%s free) can claim it now%s', v_fit -> 0 ->> 'node', v_fit -> 0 ->> 'available',
               case when v_fit -> 0 ->> 'available' = '1' then '' else 's' end,
               case when v_ahead = 0 then '; it is first in claim order'
                    else format('; %s%s waiting job%s ahead of it in claim order', v_ahead, case when v_ahead = 1000 then ' or more' else '' end,
                                case when v_ahead = 1 then ' is' else 's are' end) end)
          || case when exists (select 1 from jsonb_array_elements(v_fit) f where (f ->> 'free_slots')::integer > 0) then ''
                  else format('; %s running as many jobs as %s --concurrency allows, and claims when one ends',
                              case when jsonb_array_length(v_fit) = 1 then 'that worker is' else 'each such worker is' end,
                              case when jsonb_array_length(v_fit) = 1 then 'its' else 'their' end) end,
        jsonb_build_object('workers', v_fit, 'ahead', v_ahead);
    end if;

    -- What the claim will do with it instead of running it, found by running that code and
    -- rolling it back.
    if v_known and (v_job.waiting_for is null
                    or not exists (select 1 from jobmaster.jobs w where w.id = any (v_job.waiting_for) and w.status in ('waiting', 'running'))) then
      begin
        if cardinality(v_write) > 0 and exists (select 1 from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb) then
          v_fan := jobmaster.fan_out(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_write);
        else
          v_deps := jobmaster.plan_dependencies(array[v_job.id], array['job']);
        end if;
        raise exception using errcode = 'JMRBK';
      exception
        when sqlstate 'JMRBK' then null;
        when read_only_sql_transaction then
          return query select 'not_checked', 'dependencies and fan-out were not checked: the transaction is read-only', '{}'::jsonb;
        when others then
          -- The claim runs the same code in a subtransaction and fails the job alone.
          return query select 'prepare_fails', format('the claim will fail it: could not prepare job: %s', sqlerrm),
                              jsonb_build_object('error', sqlerrm);
      end;
      if v_fan is not null then
        return query select 'fans_out',
          format('when claimed it fans out into %s jobs of %s (%s of them new; the others are waiting or running already) and completes',
                 v_fan ->> 'total', v_name, v_fan ->> 'inserted'),
          jsonb_build_object('total', (v_fan ->> 'total')::integer, 'new', (v_fan ->> 'inserted')::integer);
      end if;
      for v_row in select e from jsonb_array_elements(jobmaster.settle_plan(v_deps)) e loop
        return query select 'dependency_unmet',
          format('%s %s %s, not completed within its window: the claim %s',
                 case when v_row.e ->> 'needed_by' = 'job' then 'it needs' else (v_row.e ->> 'needed_by') || ' needs' end,
                 v_row.e ->> 'task', v_row.e -> 'arguments',
                 case when (v_row.e ->> 'new')::boolean
                      then format('inserts it (%s: priority %s, %s unit%s) and waits for it', v_row.e ->> 'ref', v_row.e ->> 'priority',
                                  v_row.e ->> 'process_units', case when v_row.e ->> 'process_units' = '1' then '' else 's' end)
                      when v_row.e ->> 'job_id' is null then format('waits for %s, inserted above', v_row.e ->> 'ref')
                      else format('waits for %s (%s)', v_row.e ->> 'ref', v_row.e ->> 'status') end),
          v_row.e;
      end loop;
    end if;
  end if;

  if v_job.workflow_run_id is not null then
    select r.id, r.workflow_name, r.status, s.step_id,
           (select array_agg(p.step_id order by p.position) from jobmaster.workflow_run_steps p
             where p.run_id = r.id and p.status = 'pending' and s.step_id = any (p.requires)) as dependents,
           (select count(*) from jobmaster.workflow_run_steps p where p.run_id = r.id and p.status in ('pending', 'started')) as open_steps
      into v_row
      from jobmaster.workflow_runs r
      left join jobmaster.workflow_run_steps s on s.run_id = r.id and s.job_id = p_id
     where r.id = v_job.workflow_run_id;
    if v_row.id is not null then
      return query select 'workflow_step',
        format('step %s of workflow %s, run %s (%s, %s step%s open)%s', coalesce(to_jsonb(v_row.step_id)::text, '?'),
               to_jsonb(v_row.workflow_name), v_row.id, v_row.status, v_row.open_steps, case when v_row.open_steps = 1 then '' else 's' end,
               case when v_row.dependents is null then ''
                    else format('; step%s %s wait%s for it', case when cardinality(v_row.dependents) = 1 then '' else 's' end,
                                array_to_string(v_row.dependents, ', '), case when cardinality(v_row.dependents) = 1 then 's' else '' end) end),
        jsonb_build_object('run_id', v_row.id::text, 'workflow', v_row.workflow_name, 'run_status', v_row.status,
                           'step', v_row.step_id, 'waiting_steps', to_jsonb(coalesce(v_row.dependents, '{}')),
                           'open_steps', v_row.open_steps);
    end if;
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.fail_dependents(p_ids bigint[], p_node text, p_pid integer)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
declare
  v_failed  bigint[];
  v_total   integer := 0;
begin
  -- Workflows: every path that ends a job without completing it comes here; a step's run fails.
  perform jobmaster.workflow_jobs_ended(p_ids);
  loop
    with failed as (
      update jobmaster.jobs j
         set status = 'failed', finished_at = now(),
             message = format('dependency %s.%s #%s did not complete (%s)', d.type_key, d.task_key, d.id, d.status)
        from jobmaster.jobs d
       where j.status = 'waiting' and j.waiting_for && p_ids and d.id = any (p_ids) and d.id = any (j.waiting_for)
      returning j.id, j.message, j.type_key, j.task_key, j.attempts, j.max_attempts, j.node
    ), alerts as (
      insert into jobmaster.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
      select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'dependency', f.message, f.node from failed f
    )
    select array_agg(distinct id) into v_failed from failed;
    exit when v_failed is null;
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select id, 'failed', p_node, p_pid, message from jobmaster.jobs where id = any (v_failed);
    v_total := v_total + cardinality(v_failed);
    perform jobmaster.workflow_jobs_ended(v_failed);
    p_ids := v_failed;
  end loop;
  return v_total;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.fail_jobs(p_worker_id text, p_failures jsonb)
 RETURNS TABLE(id bigint, final boolean, run_at timestamp with time zone)
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET enable_seqscan TO 'off'
 SET enable_nestloop TO 'off'
 SET enable_mergejoin TO 'off'
AS $function$
declare
  v_ids   bigint[];
  v_rows  jsonb;
  v_final bigint[];
  v_node  text;
  v_pid   integer;
begin
  v_ids := array(select (f.value ->> 'id')::bigint from jsonb_array_elements(p_failures) f);
  perform jobmaster.mark_started(p_worker_id, v_ids);
  perform jobmaster.record_starts(v_ids, p_worker_id);
  with failed as (
    update jobmaster.jobs j
       set status = case when j.attempts >= j.max_attempts then 'failed' else 'waiting' end,
           finished_at = case when j.attempts >= j.max_attempts then now() end,
           run_at = case when j.attempts >= j.max_attempts then j.run_at
                         else now() + make_interval(secs => least(3600,
                                coalesce((select t.retry_delay_seconds from jobmaster.tasks t
                                           where t.type_key = j.type_key and t.task_key = j.task_key), 5)
                                * 2 ^ (j.attempts - 1))) end,
           lease_expires_at = null, worker_id = null,
           error = jsonb_build_object('message', f.value ->> 'message', 'stack', f.value ->> 'stack', 'attempt', j.attempts),
           message = case when j.attempts >= j.max_attempts
                          then format('failed on attempt %s of %s: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500))
                          else format('attempt %s of %s failed, retrying: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500)) end
      from jsonb_array_elements(p_failures) f
     where j.id = any (v_ids) and j.id = (f.value ->> 'id')::bigint
       and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.status = 'failed' as final, j.run_at, j.node, j.pid, j.message,
              j.type_key, j.task_key, j.attempts, j.max_attempts, j.error
  ), events as (
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select f.id, case when f.final then 'failed' else 'waiting' end, f.node, f.pid, f.message from failed f
  ), alerts as (
    insert into jobmaster.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, stack, node, worker_id)
    select f.id, f.type_key, f.task_key, f.final, f.attempts, f.max_attempts, 'error',
           coalesce(f.error ->> 'message', ''), f.error ->> 'stack', f.node, p_worker_id
      from failed f
  )
  select jsonb_agg(jsonb_build_object('id', f.id, 'final', f.final, 'run_at', f.run_at)),
         array_agg(f.id) filter (where f.final), min(f.node), min(f.pid)
    into v_rows, v_final, v_node, v_pid from failed f;
  if v_final is not null then
    perform jobmaster.fail_dependents(v_final, v_node, v_pid);
  end if;
  return query select (r ->> 'id')::bigint, (r ->> 'final')::boolean, (r ->> 'run_at')::timestamptz
                 from jsonb_array_elements(coalesce(v_rows, '[]')) r;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.fan_out(p_id bigint, p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb, p_write_all text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_combos   jsonb := jsonb_build_array(p_arguments);
  v_param    text;
  v_combo    jsonb;
  v_total    integer := 0;
  v_inserted integer := 0;
  v_new      boolean;
begin
  foreach v_param in array p_write_all loop
    continue when p_arguments -> v_param is distinct from '"ALL"'::jsonb;
    select jsonb_agg(c.value || jsonb_build_object(v_param, s.value) order by c.ord, s.ord) into v_combos
      from jsonb_array_elements(v_combos) with ordinality c(value, ord)
     cross join lateral jsonb_array_elements(
             (select p.select_from from jobmaster.task_parameters p
               where p.type_key = p_type_key and p.task_key = p_task_key and p.name = v_param))
           with ordinality s(value, ord);
  end loop;
  for v_combo in select value from jsonb_array_elements(coalesce(v_combos, '[]')) loop
    select e.inserted into v_new from jobmaster.enqueue(p_type_key, p_task_key, p_priority, v_combo, null, p_id) e;
    v_total := v_total + 1;
    v_inserted := v_inserted + v_new::integer;
  end loop;
  return jsonb_build_object('total', v_total, 'inserted', v_inserted);
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.fire_schedule(p_name text, p_expected_next timestamp with time zone, p_ticks timestamp with time zone[], p_next timestamp with time zone, p_error text DEFAULT NULL::text)
 RETURNS TABLE(tick timestamp with time zone, job_id bigint, error text)
 LANGUAGE plpgsql
AS $function$
declare
  v_s     jobmaster.schedules;
  v_args  jsonb;
  v_last  bigint;
  v_error text := p_error;
  v_any   boolean := false;
begin
  update jobmaster.schedules s
     set next_fire_at = p_next
   where s.name = p_name and s.next_fire_at = p_expected_next and not s.paused
  returning * into v_s;
  if not found then
    return;
  end if;
  foreach tick in array coalesce(p_ticks, '{}') loop
    job_id := null;
    error := null;
    begin
      -- Workflows: a workflow's schedule starts one run per tick (job_id is the run's id).
      if v_s.workflow_name is not null then
        select r.run_id into job_id from jobmaster.start_workflow_run(v_s.workflow_name, '{}', null, 'raise', tick) r;
        if job_id is not null then
          v_last := job_id;
          v_any := true;
        end if;
        return next;
        continue;
      end if;
      v_args := jobmaster.prepare_arguments(v_s.type_key, v_s.task_key, v_s.arguments);
      insert into jobmaster.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at,
                                schedule_name, schedule_tick)
      select v_s.type_key, v_s.task_key, 0, v_args, t.process_units, t.max_attempts, now(), v_s.name, tick
        from jobmaster.tasks t where t.type_key = v_s.type_key and t.task_key = v_s.task_key
      on conflict (schedule_name, schedule_tick) where schedule_name is not null do nothing
      returning id into job_id;
      if job_id is not null then
        v_last := job_id;
        v_any := true;
      end if;
    exception when others then
      error := format('tick %s: %s', tick, sqlerrm);
      v_error := error;
    end;
    return next;
  end loop;
  update jobmaster.schedules s
     set last_tick_at = coalesce((select max(t) from unnest(p_ticks) t), s.last_tick_at),
         last_fired_at = case when cardinality(coalesce(p_ticks, '{}')) > 0 then now() else s.last_fired_at end,
         last_job_id = coalesce(v_last, s.last_job_id),
         last_error = case when cardinality(coalesce(p_ticks, '{}')) > 0 or v_error is not null then v_error else s.last_error end
   where s.name = p_name;
  if v_any then
    perform pg_notify('jm:jobmaster', '');
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.fitting_arguments(p_type_keys text[], p_task_keys text[], p_arguments jsonb[])
 RETURNS TABLE(ord bigint, arguments jsonb)
 LANGUAGE sql
 STABLE
AS $function$
  with given as materialized (
    select u.ord, u.type_key, u.task_key, u.a
      from unnest(p_type_keys, p_task_keys, p_arguments) with ordinality u(type_key, task_key, a, ord)
  ), params as materialized (
    -- Each item's task's parameters, with the value given for each.
    select g.ord, p.name, p.required, p.json_type, p.default_value, p.select_from, g.a -> p.name as v
      from given g
      join jobmaster.task_parameters p on p.type_key = g.type_key and p.task_key = g.task_key
     where jsonb_typeof(g.a) = 'object'
  ), refused as (
    -- A key that is no parameter.
    select g.ord
      from given g
      cross join lateral jsonb_object_keys(case when jsonb_typeof(g.a) = 'object' then g.a end) k(name)
      left join jobmaster.task_parameters p on p.type_key = g.type_key and p.task_key = g.task_key and p.name = k.name
     where p.name is null
    union all
    -- A parameter not given that is required, or given a value that may not fit it.
    select p.ord
      from params p
     where case when p.v is null then p.required
                when p.v = 'null' and not p.required and p.default_value = 'null' then false
                when p.v = '"ALL"' then true
                when case p.json_type when 'integer' then jsonb_typeof(p.v) <> 'number'
                                      else jsonb_typeof(p.v) <> p.json_type end then true
                when p.json_type = 'integer' and scale((p.v #>> '{}')::numeric) <> 0 then true
                when p.json_type in ('number', 'integer')
                     and (length(p.v::text) >= 16 or p.v::text <> ((p.v::text)::float8)::text) then true
                when p.json_type in ('object', 'array') and jobmaster.unsafe_value(p.v) is not null then true
                when p.select_from is null then false
                else jsonb_typeof(p.v) in ('object', 'array') or not p.select_from @> jsonb_build_array(p.v)
           end
  ), defaults as (
    select p.ord, jsonb_object_agg(p.name, coalesce(p.default_value, 'null'::jsonb)) as d
      from params p where not p.required group by p.ord
  )
  select g.ord,
         case when t.type_key is not null and jsonb_typeof(g.a) = 'object' and r.ord is null
              then coalesce(d.d, '{}'::jsonb) || g.a end
    from given g
    left join jobmaster.tasks t on t.type_key = g.type_key and t.task_key = g.task_key
    left join (select distinct x.ord from refused x) r on r.ord = g.ord
    left join defaults d on d.ord = g.ord
$function$;

CREATE OR REPLACE FUNCTION jobmaster.heartbeat(p_worker_id text, p_ids bigint[], p_lease_seconds double precision, p_started bigint[] DEFAULT NULL::bigint[])
 RETURNS TABLE(id bigint, cancel_requested boolean)
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET plan_cache_mode TO 'force_custom_plan'
 SET enable_seqscan TO 'off'
AS $function$
begin
  if cardinality(p_started) > 0 then
    perform jobmaster.mark_started(p_worker_id, p_started, true);
  end if;
  update jobmaster.workers set last_seen_at = now() where worker_id = p_worker_id;
  -- Rows another transaction holds are left alone (the worker's own completion or failure of
  -- them may be in flight on another connection: waiting could deadlock with it, see
  -- mark_started) and reported as still held from their last committed state; their leases
  -- are renewed by the next heartbeat if they still run.
  return query
    with locked as (
      select l.id from jobmaster.jobs l
       where l.id = any (p_ids) and (l.status = 'running') is true and l.worker_id = p_worker_id
         for update skip locked
    ), renewed as (
      update jobmaster.jobs j
         set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
        from locked l
       where j.id = l.id
      returning j.id, j.cancel_requested
    )
    select r.id, r.cancel_requested from renewed r
    union all
    select b.id, b.cancel_requested from jobmaster.jobs b
     where b.id = any (p_ids) and (b.status = 'running') is true and b.worker_id = p_worker_id
       and b.id not in (select l.id from locked l);
end;
$function$;

CREATE OR REPLACE PROCEDURE jobmaster.insert_job(IN type_key text, IN task_key text, IN priority integer, IN arguments json, IN run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, INOUT job_id bigint DEFAULT NULL::bigint, IN job_key text DEFAULT NULL::text, IN on_conflict text DEFAULT 'raise'::text, IN trace_context jsonb DEFAULT NULL::jsonb)
 LANGUAGE plpgsql
AS $procedure$
begin
  select e.job_id into job_id
    from jobmaster.enqueue(type_key, task_key, priority, arguments::jsonb, run_at, null, job_key, on_conflict,
                           insert_job.trace_context) e;
end;
$procedure$;

CREATE OR REPLACE FUNCTION jobmaster.is_real_run_at(p_run_at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
  select p_run_at between '0001-01-01 00:00:00+00'::timestamptz and '9999-12-31 23:59:59.999+00'::timestamptz;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.javascript_reading(p_number numeric)
 RETURNS numeric
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET extra_float_digits TO '1'
AS $function$
  select p_number::float8::text::numeric;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.job_history(p_id bigint)
 RETURNS TABLE(at timestamp with time zone, status text, node text, pid integer, message text)
 LANGUAGE sql
 STABLE
AS $function$
  select h.at, h.status, h.node, h.pid, h.message
    from (select e.at, e.status, e.node, e.pid, e.message, e.id
            from jobmaster.job_events e where e.job_id = p_id
          union all
          select j.started_at, 'running', j.node, j.pid, format('attempt %s of %s', j.attempts, j.max_attempts), null
            from jobmaster.jobs j where j.id = p_id and j.status in ('running', 'complete') and j.started_at is not null
          union all
          select j.finished_at, 'complete', j.node, j.pid, j.message, null
            from jobmaster.jobs j where j.id = p_id and j.status = 'complete') h
   order by h.at, h.id nulls last, h.status = 'complete';
$function$;

CREATE OR REPLACE FUNCTION jobmaster.mark_started(p_worker_id text, p_ids bigint[], p_skip_locked boolean DEFAULT false)
 RETURNS void
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
begin
  if p_skip_locked then
    update jobmaster.jobs j
       set attempts = j.attempts + 1, started_at = now()
     where j.id in (select l.id from jobmaster.jobs l
                     where l.id = any (p_ids) and (l.status = 'running') is true and l.worker_id = p_worker_id
                       and l.started_at is null
                       for update skip locked)
       and j.started_at is null;
  else
    update jobmaster.jobs j
       set attempts = j.attempts + 1, started_at = now()
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id and j.started_at is null;
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.next_wake(p_tasks text[])
 RETURNS TABLE(next_run_at timestamp with time zone, next_tick_at timestamp with time zone, db_now timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
  select (select min(j.run_at) from jobmaster.jobs j
           where j.status = 'waiting' and j.run_at > now() and j.run_at > j.created_at
             and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))),
         (select min(s.next_fire_at) from jobmaster.schedules s where not s.paused),
         now();
$function$;

CREATE OR REPLACE FUNCTION jobmaster.plan_dependencies(p_ids bigint[], p_refs text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_queue  bigint[] := p_ids;
  v_refs   text[] := p_refs;
  v_depth  integer[] := array_fill(0, array[cardinality(p_ids)]);
  v_i      integer := 1;
  v_job    jobmaster.jobs;
  v_dep    jobmaster.jobs;
  v_wait   bigint[];
  v_id     bigint;
  v_ref    text;
  v_again  boolean;
  v_new    integer := 0;
  v_out    jsonb := '[]';
begin
  while v_i <= cardinality(v_queue) and v_i <= 1000 loop
    select * into v_job from jobmaster.jobs j where j.id = v_queue[v_i];
    select u.wait_for into v_wait
      from jobmaster.unmet_dependencies(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments) u;
    foreach v_id in array coalesce(v_wait, '{}') loop
      select * into v_dep from jobmaster.jobs j where j.id = v_id;
      v_ref := null;
      v_again := v_id = any (v_queue);
      if v_again then
        v_ref := v_refs[array_position(v_queue, v_id)];
      elsif v_dep.spawned_by = v_job.id and v_dep.created_at = now() then
        -- Inserted just now for this job: plan what its own claim will need too.
        v_new := v_new + 1;
        v_ref := format('dependency %s', v_new);
        v_queue := v_queue || v_id;
        v_refs := v_refs || v_ref;
        v_depth := v_depth || (v_depth[v_i] + 1);
      end if;
      v_out := v_out || jsonb_build_array(jsonb_build_object(
        'needed_by', v_refs[v_i], 'ref', coalesce(v_ref, format('job %s', v_id)), 'job_id', v_id::text,
        'task', v_dep.type_key || '.' || v_dep.task_key, 'arguments', v_dep.arguments,
        'priority', v_dep.priority, 'process_units', v_dep.process_units, 'status', v_dep.status,
        'depth', v_depth[v_i] + 1, 'again', v_again));
    end loop;
    v_i := v_i + 1;
  end loop;
  return v_out;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.plan_enqueue(p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb, p_run_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_job_key text DEFAULT NULL::text, p_on_conflict text DEFAULT 'raise'::text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_result  jsonb;
  v_id      bigint;
  v_outcome text;
  v_job     jobmaster.jobs;
  v_write   text[];
  v_fan     jsonb;
  v_roots   bigint[];
  v_refs    text[];
  v_deps    jsonb;
  v_holder  jsonb;
begin
  if p_job_key is not null then
    select jsonb_build_object('job_id', j.id::text, 'status', j.status, 'job_key', j.job_key) into v_holder
      from jobmaster.jobs j
     where j.type_key = p_type_key and j.task_key = p_task_key and j.job_key = p_job_key and j.status in ('waiting', 'running');
  end if;
  begin
    select e.job_id, e.outcome into v_id, v_outcome
      from jobmaster.enqueue(p_type_key, p_task_key, p_priority, p_arguments, p_run_at, null, p_job_key, p_on_conflict) e;
    select * into v_job from jobmaster.jobs j where j.id = v_id;
    select t.write_all into v_write from jobmaster.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
    -- A job that is already there is what it is: the plan shows it, and what happens to it is
    -- for `jm explain`.
    if v_outcome in ('inserted', 'superseded', 'replaced') and v_job.status = 'waiting' then
      v_roots := array[v_id];
      v_refs := array['job'];
      if cardinality(v_write) > 0 and exists (select 1 from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb) then
        v_fan := jobmaster.fan_out(v_id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_write);
        select coalesce(array_agg(c.id order by c.id), '{}'),
               coalesce(array_agg('combination ' || row_number order by c.id), '{}'),
               v_fan || jsonb_build_object('parameters', (select jsonb_agg(w) from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb),
                                           'combinations', coalesce(jsonb_agg(c.arguments order by c.id), '[]'))
          into v_roots, v_refs, v_fan
          from (select j.id, j.arguments, row_number() over (order by j.id)
                  from jobmaster.jobs j where j.spawned_by = v_id) c;
      end if;
      v_deps := jobmaster.plan_dependencies(v_roots, v_refs);
    end if;
    raise exception using errcode = 'JMRBK';
  exception when sqlstate 'JMRBK' then
    null;
  end;
  v_result := jsonb_build_object(
    'outcome', v_outcome,
    'job', jsonb_build_object('task', v_job.type_key || '.' || v_job.task_key, 'type_key', v_job.type_key, 'task_key', v_job.task_key,
                              'arguments', v_job.arguments, 'priority', v_job.priority, 'process_units', v_job.process_units,
                              'max_attempts', v_job.max_attempts, 'run_at', v_job.run_at, 'job_key', v_job.job_key)
           || case when v_outcome = 'inserted' or v_outcome = 'superseded' then '{}'::jsonb
                   else jsonb_build_object('job_id', v_id::text,
                                           'status', (select j.status from jobmaster.jobs j where j.id = v_id)) end,
    'key_holder', v_holder,
    'fan_out', case when v_fan is null then null
                    else jsonb_build_object('parameters', v_fan -> 'parameters', 'total', (v_fan ->> 'total')::integer,
                                            'new', (v_fan ->> 'inserted')::integer, 'combinations', v_fan -> 'combinations') end,
    'dependencies', jobmaster.settle_plan(v_deps));
  return v_result;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.plan_workflow_run(p_name text, p_params jsonb DEFAULT '{}'::jsonb, p_run_key text DEFAULT NULL::text, p_on_conflict text DEFAULT 'raise'::text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
declare
  v_run     bigint;
  v_outcome text;
  v_params  jsonb;
  v_steps   jsonb;
  v_ids     bigint[];
  v_refs    text[];
  v_deps    jsonb;
begin
  begin
    select s.run_id, s.outcome into v_run, v_outcome from jobmaster.start_workflow_run(p_name, p_params, p_run_key, p_on_conflict) s;
    select r.params into v_params from jobmaster.workflow_runs r where r.id = v_run;
    if v_outcome <> 'existing' then
      select coalesce(jsonb_agg(jsonb_build_object(
               'step', s.step_id, 'task', s.type_key || '.' || s.task_key, 'requires', to_jsonb(s.requires),
               'priority', coalesce(j.priority, s.priority), 'status', s.status,
               'arguments', coalesce(j.arguments, s.args), 'process_units', coalesce(j.process_units, t.process_units),
               'message', s.message) order by s.position), '[]'),
             array_agg(s.job_id order by s.position) filter (where s.job_id is not null),
             array_agg('step ' || s.step_id order by s.position) filter (where s.job_id is not null)
        into v_steps, v_ids, v_refs
        from jobmaster.workflow_run_steps s
        left join jobmaster.jobs j on j.id = s.job_id
        left join jobmaster.tasks t on t.type_key = s.type_key and t.task_key = s.task_key
       where s.run_id = v_run;
      if v_ids is not null then
        v_deps := jobmaster.plan_dependencies(v_ids, v_refs);
      end if;
    end if;
    raise exception using errcode = 'JMRBK';
  exception when sqlstate 'JMRBK' then
    null;
  end;
  return jsonb_build_object('outcome', v_outcome, 'workflow', p_name,
                            'run_id', case when v_outcome = 'existing' then v_run::text end,
                            'params', v_params, 'steps', coalesce(v_steps, '[]'),
                            'dependencies', jobmaster.settle_plan(v_deps));
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.prepare_arguments(p_type_key text, p_task_key text, p_arguments jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_write_all text[];
  v_result    jsonb := '{}';
  v_param     record;
  v_value     jsonb;
  v_unknown   text;
  v_shown     text;
  v_unsafe    text;
  v_detail    text;
begin
  select t.write_all into v_write_all
    from jobmaster.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  if not found then
    raise exception using errcode = 'JM001',
      message = format('No task %s is registered in the database ("jm deploy" syncs the tasks in code; "jm tasks" lists those)', v_task);
  end if;
  if p_arguments is null then
    p_arguments := '{}';
  elsif jsonb_typeof(p_arguments) <> 'object' then
    raise exception using errcode = 'JM002',
      message = format('%s: arguments must be a JSON object, got %s', v_task, jsonb_typeof(p_arguments)),
      detail = jsonb_build_object('task', v_task)::text;
  end if;

  select k into v_unknown
    from jsonb_object_keys(p_arguments) k
   where not exists (select 1 from jobmaster.task_parameters p
                      where p.type_key = p_type_key and p.task_key = p_task_key and p.name = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002',
      message = format('%s: unknown parameter %s', v_task, to_jsonb(left(v_unknown, 60))::text),
      detail = jsonb_build_object('task', v_task, 'parameter', v_unknown)::text;
  end if;

  for v_param in
    select * from jobmaster.task_parameters p
     where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := p_arguments -> v_param.name;
    if v_value is null then
      if v_param.required then
        raise exception using errcode = 'JM002',
          message = format('%s: missing required parameter "%s"', v_task, v_param.name),
          detail = jsonb_build_object('task', v_task, 'parameter', v_param.name)::text;
      end if;
      v_value := v_param.default_value;
    elsif v_value = '"ALL"'::jsonb and v_param.name = any (v_write_all) then
      null; -- fans out over the select-from values when the job runs
    else
      v_shown := left(v_value::text, 60);
      -- The facts of a refusal, for the TypeScript door's error fields (the value when small).
      v_detail := jsonb_build_object('task', v_task, 'parameter', v_param.name)
                  || case when length(v_value::text) <= 1000 then jsonb_build_object('value', v_value) else '{}' end;
      if v_value = '"ALL"'::jsonb and (v_param.json_type <> 'string' or v_param.select_from is not null)
         and not coalesce(v_param.select_from @> '["ALL"]'::jsonb, false) then
        raise exception using errcode = 'JM002',
          message = format('%s: "ALL" is only allowed for write-all parameters, and "%s" is not one', v_task, v_param.name),
          detail = v_detail;
      elsif v_value = 'null'::jsonb and not v_param.required and v_param.default_value = 'null'::jsonb then
        null; -- an optional parameter whose default is null accepts null
      elsif not (case v_param.json_type
                   when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                   else jsonb_typeof(v_value) = v_param.json_type
                 end) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be %s, got %s', v_task, v_param.name,
                           case when v_param.json_type in ('integer', 'array', 'object') then 'an ' else 'a ' end || v_param.json_type,
                           v_shown),
          detail = v_detail;
      elsif v_param.select_from is not null
            and not exists (select 1 from jsonb_array_elements(v_param.select_from) e where e = v_value) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be one of %s, got %s', v_task, v_param.name,
                           (select string_agg(e::text, ', ') from jsonb_array_elements(v_param.select_from) e), v_shown),
          detail = v_detail;
      end if;
      if v_param.json_type in ('number', 'integer', 'object', 'array') then
        v_unsafe := jobmaster.unsafe_value(v_value);
        if v_unsafe is not null then
          raise exception using errcode = 'JM002', message = format('%s: parameter "%s" %s', v_task, v_param.name, v_unsafe),
            detail = v_detail;
        end if;
      end if;
    end if;
    -- A number as JavaScript writes it (1.0 -> 1, 1.50 -> 1.5): the task receives the same
    -- value either way, and the job's identity (the arguments' text) must not tell them apart.
    if v_param.json_type in ('number', 'integer') and jsonb_typeof(v_value) = 'number'
       and v_value::text <> ((v_value::text)::float8)::text then
      v_value := to_jsonb((v_value::text)::float8);
    end if;
    v_result := v_result || jsonb_build_object(v_param.name, v_value);
  end loop;
  return v_result;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.prune_alerts(p_older_than interval, p_type_key text DEFAULT NULL::text, p_task_key text DEFAULT NULL::text)
 RETURNS TABLE(delivered bigint, undelivered bigint)
 LANGUAGE sql
AS $function$
  with gone as (
    delete from jobmaster.job_alerts a
     where a.failed_at < now() - p_older_than
       and (p_type_key is null or (a.type_key = p_type_key and a.task_key = p_task_key))
    returning a.delivered_at is not null as delivered
  )
  select count(*) filter (where g.delivered), count(*) filter (where not g.delivered) from gone g;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.prune_jobs(p_older_than interval, p_type_key text DEFAULT NULL::text, p_task_key text DEFAULT NULL::text)
 RETURNS TABLE(status text, deleted bigint)
 LANGUAGE sql
AS $function$
  delete from jobmaster.latest_completions c
   where c.finished_at < now() - p_older_than
     and (p_type_key is null or (c.type_key = p_type_key and c.task_key = p_task_key));
  with gone as (
    delete from jobmaster.jobs j
     where j.status in ('complete', 'failed', 'cancelled')
       and j.finished_at < now() - p_older_than
       and (p_type_key is null or (j.type_key = p_type_key and j.task_key = p_task_key))
    returning j.status
  )
  select g.status, count(*) from gone g group by g.status order by g.status;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.queue_gauges()
 RETURNS TABLE(type_key text, task_key text, waiting bigint, running bigint, scheduled bigint, retry_backoff bigint, dependencies bigint, oldest_due_seconds double precision, failed_last_hour bigint)
 LANGUAGE sql
 STABLE
 SET jit TO 'off'
 SET enable_seqscan TO 'off'
AS $function$
  with recursive waiting_tasks(type_key, task_key) as (
    -- The tasks with waiting jobs, registered or not: one descent per task (a skip scan).
    (select j.type_key, j.task_key from jobmaster.jobs j
      where j.status = 'waiting' order by j.type_key, j.task_key limit 1)
    union all
    select n.type_key, n.task_key
      from waiting_tasks w
      cross join lateral (
        select j.type_key, j.task_key from jobmaster.jobs j
         where j.status = 'waiting' and (j.type_key, j.task_key) > (w.type_key, w.task_key)
         order by j.type_key, j.task_key limit 1) n
  ), running as (
    select j.type_key, j.task_key, count(*) as n
      from jobmaster.jobs j
     where j.status = 'running'
     group by j.type_key, j.task_key
  ), delayed as (
    select j.type_key, j.task_key,
           count(*) filter (where j.run_at > now() and j.attempts = 0) as scheduled,
           count(*) filter (where j.run_at > now() and j.attempts > 0) as backoff,
           min(j.run_at) filter (where j.run_at <= now()) as oldest_due
      from jobmaster.jobs j
     where j.status = 'waiting' and j.run_at > j.created_at
     group by j.type_key, j.task_key
  ), dependencies as (
    select j.type_key, j.task_key, count(*) as n
      from jobmaster.jobs j
     where j.status = 'waiting' and j.waiting_for is not null
     group by j.type_key, j.task_key
  ), priorities(type_key, task_key, priority) as (
    select w.type_key, w.task_key,
           (select j.priority from jobmaster.jobs j
             where j.status = 'waiting' and j.type_key = w.type_key and j.task_key = w.task_key
             order by j.priority desc, j.id limit 1)
      from waiting_tasks w
    union all
    select p.type_key, p.task_key,
           (select j.priority from jobmaster.jobs j
             where j.status = 'waiting' and j.type_key = p.type_key and j.task_key = p.task_key and j.priority < p.priority
             order by j.priority desc, j.id limit 1)
      from priorities p
     where p.priority is not null
  ), plain as (
    select p.type_key, p.task_key, min(h.created_at) as oldest_due
      from priorities p
      cross join lateral (
        select j.created_at
          from (select w.id from jobmaster.jobs w
                 where w.status = 'waiting' and w.type_key = p.type_key and w.task_key = p.task_key and w.priority = p.priority
                 order by w.priority desc, w.id limit 100) head
          join jobmaster.jobs j on j.id = head.id
         where j.run_at <= j.created_at and j.waiting_for is null
         order by head.id limit 1) h
     where p.priority is not null
     group by p.type_key, p.task_key
  ), failed as (
    select j.type_key, j.task_key, count(*) as n
      from jobmaster.jobs j
     where j.status = 'failed' and j.finished_at > now() - interval '1 hour'
     group by j.type_key, j.task_key
  ), names as (
    select t.type_key, t.task_key from jobmaster.tasks t
    union select w.type_key, w.task_key from waiting_tasks w
    union select r.type_key, r.task_key from running r
    union select f.type_key, f.task_key from failed f
  ), waiting as (
    -- Counted task by task, a range of the index each: quicker than grouping the whole index.
    select n.type_key, n.task_key,
           (select count(*) from jobmaster.jobs j
             where j.status = 'waiting' and j.type_key = n.type_key and j.task_key = n.task_key) as n
      from names n
  )
  select w.type_key, w.task_key, w.n, coalesce(r.n, 0), coalesce(d.scheduled, 0), coalesce(d.backoff, 0),
         coalesce(dp.n, 0),
         coalesce(greatest(extract(epoch from now() - least(pl.oldest_due, d.oldest_due))::double precision, 0), 0),
         coalesce(f.n, 0)
    from waiting w
    left join running r on r.type_key = w.type_key and r.task_key = w.task_key
    left join delayed d on d.type_key = w.type_key and d.task_key = w.task_key
    left join dependencies dp on dp.type_key = w.type_key and dp.task_key = w.task_key
    left join plain pl on pl.type_key = w.type_key and pl.task_key = w.task_key
    left join failed f on f.type_key = w.type_key and f.task_key = w.task_key
   order by w.type_key, w.task_key;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.record_completions(p_ids bigint[])
 RETURNS void
 LANGUAGE sql
AS $function$
  insert into jobmaster.latest_completions as l (identity_hash, type_key, task_key, lookup, job_id, finished_at)
  select distinct on (j.identity_hash) j.identity_hash, j.type_key, j.task_key,
         jsonb_build_object(j.type_key, jsonb_build_object(j.task_key, j.arguments)), j.id, j.finished_at
    from jobmaster.jobs j
   where j.id = any (p_ids) and j.status = 'complete'
     and (j.type_key, j.task_key) in (select d.depends_on_type_key, d.depends_on_task_key from jobmaster.task_dependencies d)
   order by j.identity_hash, j.finished_at desc, j.id desc
  on conflict (identity_hash) do update set job_id = excluded.job_id, finished_at = excluded.finished_at
   where l.finished_at <= excluded.finished_at;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.record_events(p_ids bigint[], p_status text, p_node text, p_pid integer, p_message text)
 RETURNS void
 LANGUAGE sql
AS $function$
  insert into jobmaster.job_events (job_id, status, node, pid, message)
  select id, p_status, p_node, p_pid, p_message from unnest(p_ids) id;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.record_starts(p_ids bigint[], p_worker_id text)
 RETURNS void
 LANGUAGE sql
 SET enable_seqscan TO 'off'
AS $function$
  with held as (
    select j.id, j.started_at, j.node, j.pid, j.attempts, j.max_attempts
      from jobmaster.jobs j
     where j.id = any (p_ids) and (j.status = 'running') is true and j.started_at is not null
       and (p_worker_id is null or j.worker_id = p_worker_id)
     order by j.id
       for update
  )
  insert into jobmaster.job_events (job_id, at, status, node, pid, message)
  select h.id, h.started_at, 'running', h.node, h.pid, format('attempt %s of %s', h.attempts, h.max_attempts) from held h;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.recover_expired_leases()
 RETURNS integer
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
declare
  v_expired bigint[];
  v_retry   bigint[];
  v_ended   bigint[];
begin
  select array_agg(j.id) into v_expired
    from (select j.id from jobmaster.jobs j
           where j.status = 'running' and j.lease_expires_at < now()
             for update skip locked) j;
  if v_expired is null then
    return 0;
  end if;
  perform jobmaster.record_starts(v_expired, null);
  -- A job someone asked to cancel ends as cancelled rather than running again.
  with recovered as (
    update jobmaster.jobs j
       set status = case when j.cancel_requested then 'cancelled'
                         when j.started_at is not null and j.attempts >= j.max_attempts then 'failed'
                         else 'waiting' end,
           finished_at = case when j.cancel_requested or (j.started_at is not null and j.attempts >= j.max_attempts) then now() end,
           lease_expires_at = null, worker_id = null,
           message = case when j.started_at is null
                          then format('worker %s on node %s stopped renewing its lease before starting the job (held ahead); back to the queue without using an attempt%s',
                                      coalesce(j.worker_id, '?'), coalesce(j.node, '?'),
                                      case when j.cancel_requested then '; cancelled as requested' else '' end)
                          else format('worker %s on node %s stopped renewing its lease (attempt %s of %s)%s',
                                      coalesce(j.worker_id, '?'), coalesce(j.node, '?'), j.attempts, j.max_attempts,
                                      case when j.cancel_requested then '; cancelled as requested' else '' end) end
     where j.id = any (v_expired)
    returning j.id, j.node, j.pid, j.message, j.status, j.started_at is not null as started,
              j.type_key, j.task_key, j.attempts, j.max_attempts
  ), events as (
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, r.message from recovered r
  ), alerts as (
    insert into jobmaster.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
    select r.id, r.type_key, r.task_key, r.status = 'failed', r.attempts, r.max_attempts, 'lease', r.message, r.node
      from recovered r
     where r.started and r.status <> 'cancelled'
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status <> 'waiting')
    into v_retry, v_ended from recovered r;
  if v_retry is not null then
    perform pg_notify('jm:jobmaster', '');
  end if;
  if v_ended is not null then
    perform jobmaster.fail_dependents(v_ended, null, null);
  end if;
  return coalesce(cardinality(v_retry), 0) + coalesce(cardinality(v_ended), 0);
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.release_jobs(p_worker_id text, p_ids bigint[], p_message text)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SET jit TO 'off'
 SET enable_seqscan TO 'off'
AS $function$
declare
  v_ids       bigint[];
  v_cancelled bigint[];
begin
  perform jobmaster.record_starts(p_ids, p_worker_id);
  -- A job someone asked to cancel is not given back: it ends as cancelled.
  with released as (
    update jobmaster.jobs j
       set status = case when j.cancel_requested then 'cancelled' else 'waiting' end,
           finished_at = case when j.cancel_requested then now() end,
           -- A job held ahead and never started (started_at null) has not counted an attempt.
           attempts = case when j.cancel_requested or j.started_at is null then j.attempts else greatest(j.attempts - 1, 0) end,
           lease_expires_at = null, worker_id = null,
           message = p_message
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid, j.status
  ), events as (
    insert into jobmaster.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, p_message from released r
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status = 'cancelled')
    into v_ids, v_cancelled from released r;
  if v_ids is not null then
    perform pg_notify('jm:jobmaster', '');
  end if;
  if v_cancelled is not null then
    perform jobmaster.fail_dependents(v_cancelled, null, null);
  end if;
  return query select unnest(coalesce(v_ids, '{}') || coalesce(v_cancelled, '{}'));
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.remove_schedule(p_name text)
 RETURNS SETOF jobmaster.schedules
 LANGUAGE plpgsql
AS $function$
declare
  v_row jobmaster.schedules;
begin
  select * into v_row from jobmaster.schedules s where s.name = p_name for update;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if v_row.source = 'code' then
    raise exception using errcode = 'JM007', message = format('schedule %s is declared in code', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  delete from jobmaster.schedules s where s.name = p_name;
  return next v_row;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.require_jobs(p_ids bigint[])
 RETURNS void
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_missing bigint;
begin
  select min(u.id) into v_missing from unnest(p_ids) u(id)
   where not exists (select 1 from jobmaster.jobs m where m.id = u.id);
  if v_missing is not null then
    raise exception using errcode = 'JM003', message = format('No job with id %s', v_missing), detail = v_missing::text;
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.retry_jobs(p_ids bigint[], p_node text, p_pid integer)
 RETURNS TABLE(id bigint, status text, outcome text, twin_id bigint)
 LANGUAGE plpgsql
AS $function$
declare
  v_job   record;
  v_twin  bigint;
  v_any   boolean := false;
begin
  perform jobmaster.require_jobs(p_ids);
  for v_job in
    select g.id as given, j.id, j.status, j.type_key, j.task_key, j.job_key, j.identity_hash
      from (select distinct u.id from unnest(p_ids) u(id)) g
      left join jobmaster.jobs j on j.id = g.id
     order by g.id
  loop
    id := v_job.given;
    status := v_job.status;
    twin_id := null;
    if v_job.id is null then
      outcome := 'not_found';
    elsif v_job.status not in ('failed', 'cancelled') then
      outcome := 'not_retryable';
    else
      begin
        update jobmaster.jobs j
           set status = 'waiting', attempts = 0, run_at = now(), started_at = null, finished_at = null,
               lease_expires_at = null, worker_id = null, waiting_for = null, dependency_requeues = 0,
               result = null, error = null, cancel_requested = false, message = 'retried by an operator'
         where j.id = v_job.id and j.status in ('failed', 'cancelled');
        if found then
          insert into jobmaster.job_events (job_id, status, node, pid, message)
          values (v_job.id, 'waiting', p_node, p_pid, 'retried by an operator');
          outcome := 'retried';
          status := 'waiting';
          v_any := true;
        else
          -- Changed by someone else since it was read above.
          select j.status into status from jobmaster.jobs j where j.id = v_job.id;
          outcome := case when status is null then 'not_found' else 'not_retryable' end;
        end if;
      exception when unique_violation then
        if v_job.job_key is not null then
          select t.id into v_twin from jobmaster.jobs t
           where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.job_key = v_job.job_key
             and t.status in ('waiting', 'running');
        else
          select t.id into v_twin from jobmaster.jobs t
           where t.identity_hash = v_job.identity_hash and t.status in ('waiting', 'running')
             and t.job_key is null and t.schedule_name is null;
        end if;
        outcome := 'duplicate';
        twin_id := v_twin;
      end;
    end if;
    return next;
  end loop;
  if v_any then
    perform pg_notify('jm:jobmaster', '');
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.retry_workflow_run(p_run_id bigint, p_from_step text DEFAULT NULL::text)
 RETURNS SETOF text
 LANGUAGE plpgsql
AS $function$
declare
  v_status text;
  v_rerun  text[];
  v_added  text[];
  v_step   record;
begin
  select r.status into v_status from jobmaster.workflow_runs r where r.id = p_run_id for update;
  if not found then
    raise exception using errcode = 'JM009', message = format('No workflow run %s exists', p_run_id), detail = p_run_id::text;
  end if;
  if v_status = 'running' or (v_status = 'complete' and p_from_step is null) then
    raise exception using errcode = 'JM002',
      message = format('workflow run %s is %s: only a failed or cancelled run can be retried%s', p_run_id, v_status,
                       case when v_status = 'complete' then ' (or give a step to rerun it and what follows)' else '' end);
  end if;
  if p_from_step is not null then
    if not exists (select 1 from jobmaster.workflow_run_steps s where s.run_id = p_run_id and s.step_id = p_from_step) then
      raise exception using errcode = 'JM002', message = format('workflow run %s has no step %s', p_run_id, to_jsonb(p_from_step)::text);
    end if;
    -- The step and everything downstream of it.
    v_rerun := array[p_from_step];
    loop
      select array_agg(s.step_id) into v_added from jobmaster.workflow_run_steps s
       where s.run_id = p_run_id and s.requires && v_rerun and not s.step_id = any (v_rerun);
      exit when v_added is null;
      v_rerun := v_rerun || v_added;
    end loop;
  end if;
  -- A step to rerun whose job has not ended would meet that job's key: refuse until it ends.
  select s.step_id, s.job_id into v_step
    from jobmaster.workflow_run_steps s join jobmaster.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and s.status = 'started' and j.status in ('waiting', 'running')
     and s.step_id = any (coalesce(v_rerun, '{}'))
   order by s.position limit 1;
  if found then
    raise exception using errcode = 'JM002',
      message = format('workflow run %s: step %s is still running (job %s); rerun it when it has ended, or cancel the run first',
                       p_run_id, to_jsonb(v_step.step_id)::text, v_step.job_id);
  end if;
  update jobmaster.workflow_run_steps s
     set status = 'pending', past_job_ids = case when s.job_id is null then s.past_job_ids else s.past_job_ids || s.job_id end,
         job_id = null, result = null, message = null
   where s.run_id = p_run_id and (s.status in ('failed', 'cancelled', 'skipped') or s.step_id = any (coalesce(v_rerun, '{}')));
  update jobmaster.workflow_run_steps s
     set pending = (select count(*) from jobmaster.workflow_run_steps d
                     where d.run_id = p_run_id and d.step_id = any (s.requires) and d.status <> 'complete')
   where s.run_id = p_run_id and s.status = 'pending';
  update jobmaster.workflow_runs r set status = 'running', finished_at = null, message = 'retried'
   where r.id = p_run_id;
  return query select s.step_id from jobmaster.workflow_run_steps s where s.run_id = p_run_id and s.status = 'pending' order by s.position;
  for v_step in
    select s.step_id from jobmaster.workflow_run_steps s where s.run_id = p_run_id and s.status = 'pending' and s.pending = 0 order by s.position
  loop
    exit when jobmaster.workflow_start_step(p_run_id, v_step.step_id) is null;
  end loop;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.set_schedule_paused(p_name text, p_paused boolean, p_next_fire_at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS SETOF jobmaster.schedules
 LANGUAGE plpgsql
AS $function$
declare
  v_row jobmaster.schedules;
begin
  update jobmaster.schedules s
     set paused = p_paused, updated_at = now(),
         next_fire_at = case when p_paused or not s.paused then s.next_fire_at else p_next_fire_at end
   where s.name = p_name
  returning * into v_row;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if not p_paused then
    perform pg_notify('jm:jobmaster', '');
  end if;
  return next v_row;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.settle_alerts(p_worker_id text, p_outcomes jsonb)
 RETURNS TABLE(id bigint, delivered boolean)
 LANGUAGE sql
 SET jit TO 'off'
AS $function$
  with outcome as (
    select (o.value ->> 'id')::bigint as id,
           array(select jsonb_array_elements_text(coalesce(o.value -> 'delivered_to', '[]'))) as took,
           o.value ->> 'error' as error,
           coalesce((o.value ->> 'retry_seconds')::double precision, 0) as retry_seconds
      from jsonb_array_elements(p_outcomes) o
  )
  update jobmaster.job_alerts a
     set delivered_to = array(select distinct d from unnest(a.delivered_to || o.took) d order by d),
         delivered_at = case when o.error is null then now() end,
         delivered_by = case when o.error is null then p_worker_id end,
         last_error = coalesce(o.error, a.last_error),
         next_attempt_at = case when o.error is null then a.next_attempt_at
                                else now() + make_interval(secs => o.retry_seconds) end,
         claimed_by = null
    from outcome o
   where a.id = o.id and a.delivered_at is null
     and (o.error is null or a.claimed_by = p_worker_id)
  returning a.id, a.delivered_at is not null;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.settle_plan(p_plan jsonb)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
  select coalesce(jsonb_agg(
           case when exists (select 1 from jobmaster.jobs j where j.id = (e ->> 'job_id')::bigint)
                then (e - 'again') || '{"new": false}'
                else (e - 'again' - 'job_id') || jsonb_build_object('new', not (e ->> 'again')::boolean, 'status', 'to insert')
           end order by x.ord), '[]')
    from jsonb_array_elements(coalesce(p_plan, '[]')) with ordinality x(e, ord);
$function$;

CREATE OR REPLACE FUNCTION jobmaster.shown_time(p_at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"');
$function$;

CREATE OR REPLACE PROCEDURE jobmaster.start_workflow(IN name text, IN params json DEFAULT '{}'::json, INOUT run_id bigint DEFAULT NULL::bigint, IN run_key text DEFAULT NULL::text, IN on_conflict text DEFAULT 'raise'::text, IN trace_context jsonb DEFAULT NULL::jsonb)
 LANGUAGE plpgsql
AS $procedure$
begin
  select s.run_id into run_id
    from jobmaster.start_workflow_run(name, params::jsonb, run_key, on_conflict, null, trace_context) s;
end;
$procedure$;

CREATE OR REPLACE FUNCTION jobmaster.start_workflow_run(p_name text, p_params jsonb DEFAULT '{}'::jsonb, p_run_key text DEFAULT NULL::text, p_on_conflict text DEFAULT 'raise'::text, p_schedule_tick timestamp with time zone DEFAULT NULL::timestamp with time zone, p_trace_context jsonb DEFAULT NULL::jsonb, OUT run_id bigint, OUT outcome text)
 RETURNS SETOF record
 LANGUAGE plpgsql
AS $function$
declare
  v_definition jsonb;
  v_params     jsonb := '{}';
  v_existing   bigint;
begin
  if p_on_conflict is null or p_on_conflict not in ('raise', 'ignore', 'replace') then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: on_conflict must be raise, ignore or replace, got %s', to_jsonb(p_name)::text,
                       coalesce(to_jsonb(left(p_on_conflict, 40))::text, 'null'));
  end if;
  if p_run_key is not null and length(p_run_key) not between 1 and 255 then
    raise exception using errcode = 'JM002', message = format('workflow %s: a run key must be 1 to 255 characters long', to_jsonb(p_name)::text);
  end if;
  v_definition := jobmaster.workflow_definition(p_name);
  v_params := jobmaster.workflow_params(p_name, v_definition, p_params);
  p_trace_context := jobmaster.checked_trace_context(format('workflow %s', to_jsonb(left(p_name, 200))), p_trace_context);

  loop
    begin
      insert into jobmaster.workflow_runs (workflow_name, definition, params, run_key, schedule_tick, trace_context)
      values (p_name, v_definition, v_params, p_run_key, p_schedule_tick, p_trace_context)
      returning id into run_id;
      exit;
    exception when unique_violation then
      if p_schedule_tick is not null then
        return; -- this tick already started its run
      end if;
      select r.id into v_existing from jobmaster.workflow_runs r
       where r.workflow_name = p_name and r.run_key = p_run_key and r.status = 'running' for update;
      continue when not found; -- it ended meanwhile: the key is free again
      if p_on_conflict = 'ignore' then
        run_id := v_existing;
        outcome := 'existing';
        return next;
        return;
      elsif p_on_conflict = 'raise' then
        raise exception using errcode = 'JM010',
          message = format('workflow %s: a run with key %s is already running (run %s); start with on_conflict ignore or replace to reuse it',
                           p_name, to_jsonb(p_run_key)::text, v_existing),
          detail = jsonb_build_object('run_id', v_existing::text, 'run_key', p_run_key, 'workflow', p_name)::text;
      end if;
      perform jobmaster.cancel_workflow_run(v_existing, null, null);
      outcome := 'replaced';
    end;
  end loop;

  perform jobmaster.workflow_begin_runs(array[run_id]);
  outcome := coalesce(outcome, 'started');
  return next;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.start_workflow_runs(p_name text, p_params jsonb, p_trace_context jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(run_id bigint)
 LANGUAGE plpgsql
AS $function$
declare
  v_definition jsonb;
  v_params     jsonb[];
  v_ids        bigint[];
  i            integer;
begin
  if jsonb_typeof(p_params) is distinct from 'array' then
    raise exception using errcode = 'JM002',
      message = format('workflow %s: start_workflow_runs expects a JSON array of parameter objects', to_jsonb(left(p_name, 200))::text);
  end if;
  v_definition := jobmaster.workflow_definition(p_name);
  p_trace_context := jobmaster.checked_trace_context(format('workflow %s', to_jsonb(left(p_name, 200))), p_trace_context);
  v_params := array(select e.value from jsonb_array_elements(p_params) with ordinality e(value, ord) order by e.ord);
  for i in 1 .. coalesce(cardinality(v_params), 0) loop
    begin
      v_params[i] := jobmaster.workflow_params(p_name, v_definition, v_params[i]);
    exception when sqlstate 'JM002' then
      raise exception using errcode = 'JM002', message = format('run %s of %s: %s', i, cardinality(v_params), sqlerrm);
    end;
  end loop;
  if coalesce(cardinality(v_params), 0) = 0 then
    return;
  end if;
  -- Ids drawn in the array's order, so the rows returned follow it.
  v_ids := array(select nextval(pg_get_serial_sequence('jobmaster.workflow_runs', 'id')::regclass)
                   from generate_series(1, cardinality(v_params)));
  insert into jobmaster.workflow_runs (id, workflow_name, definition, params, trace_context)
  overriding system value
  select v_ids[u.ord], p_name, v_definition, u.params, p_trace_context from unnest(v_params) with ordinality u(params, ord);
  perform jobmaster.workflow_begin_runs(v_ids);
  return query select u.id from unnest(v_ids) with ordinality u(id, ord) order by u.ord;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.track_completions()
 RETURNS void
 LANGUAGE sql
AS $function$
  delete from jobmaster.latest_completions l
   where not exists (select 1 from jobmaster.task_dependencies d
                      where d.depends_on_type_key = l.type_key and d.depends_on_task_key = l.task_key);
  select jobmaster.record_completions(array(
    select j.id
      from (select distinct d.depends_on_type_key as type_key, d.depends_on_task_key as task_key
              from jobmaster.task_dependencies d
             where not exists (select 1 from jobmaster.latest_completions c
                                where c.type_key = d.depends_on_type_key and c.task_key = d.depends_on_task_key)) t
      join jobmaster.jobs j on j.type_key = t.type_key and j.task_key = t.task_key
                         and j.finished_at >= now() - interval '30 days' and j.status = 'complete'));
$function$;

CREATE OR REPLACE FUNCTION jobmaster.unmet_dependencies(p_id bigint, p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb, OUT wait_for bigint[], OUT inserted integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
declare
  v_dep    record;
  v_args   jsonb;
  v_full   jsonb;
  v_id     bigint;
  v_new    boolean;
  v_wait   bigint[] := '{}';
begin
  inserted := 0;
  for v_dep in
    select * from jobmaster.task_dependencies d
     where d.type_key = p_type_key and d.task_key = p_task_key order by d.position
  loop
    v_args := jobmaster.dependency_arguments(v_dep.arguments, p_arguments);
    continue when jobmaster.dependency_completed(v_dep.depends_on_type_key, v_dep.depends_on_task_key, v_args, v_dep.freshness);
    select coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}') || v_args
      into v_full
      from jobmaster.task_parameters p
     where p.type_key = v_dep.depends_on_type_key and p.task_key = v_dep.depends_on_task_key;
    v_id := null;
    if v_full <> v_args then
      select min(l.id) into v_id from (
        select c.id from jobmaster.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'waiting' and c.arguments @> v_args
        union all
        select c.id from jobmaster.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'running' and c.arguments @> v_args) l;
    end if;
    if v_id is null then
      select e.job_id, e.inserted into v_id, v_new
        from jobmaster.enqueue(v_dep.depends_on_type_key, v_dep.depends_on_task_key, least(p_priority, 2147483646) + 1, v_args, null, p_id) e;
      inserted := inserted + v_new::integer;
    end if;
    v_wait := v_wait || v_id;
  end loop;
  wait_for := case when cardinality(v_wait) = 0 then null else v_wait end;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.unsafe_value(p_value jsonb)
 RETURNS text
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
AS $function$
declare
  v_text  text;
  v_n     numeric;
  v_shown text;
  v_e     numeric;
begin
  if jsonb_typeof(p_value) in ('string', 'boolean', 'null') or p_value is null then
    return null;
  end if;
  v_text := p_value::text;
  if length(v_text) - length(translate(v_text, '[{', '')) > 100
     and jsonb_path_exists(p_value, 'strict $.**{100}') then
    return 'is nested more than 100 levels deep';
  end if;
  if v_text !~ '[0-9]{16}' then
    return null;
  end if;
  for v_n in select v::text::numeric from jsonb_path_query(p_value, 'strict $.** ? (@.type() == "number")') v loop
    -- A number of many digits is shown as 1e+400 would be written.
    if v_n = 0 or length(v_n::text) <= 24 then
      v_shown := v_n::text;
    else
      v_e := floor(log(abs(v_n)));
      v_shown := format('%se%s', trim_scale(round(case when v_e >= 0 then v_n / 10::numeric ^ v_e
                                                       else v_n * 10::numeric ^ (-v_e) end, 6)), v_e);
    end if;
    if abs(v_n) > 1.7976931348623157e308 then
      return format('holds %s, beyond the largest number JavaScript holds (±1.8e308)', v_shown);
    elsif v_n <> 0 and abs(v_n) < 4.9406564584124654e-324 then
      return format('holds %s, which JavaScript would round to 0', v_shown);
    elsif abs(v_n) > 9007199254740991
          -- 15 significant digits or fewer always come back as written (DBL_DIG).
          and length(trim(both '0' from replace(abs(v_n)::text, '.', ''))) > 15
          and jobmaster.javascript_reading(v_n) <> v_n then
      -- Not as a double is written; still faithful if a double equals it exactly: beyond
      -- 2^53 a double is m * 2^k with |m| < 2^53, a number whose lowest (bit length - 53) bits
      -- are zero. Its bit length is found exactly, by powers of two.
      v_e := floor(log(2, abs(v_n)));
      if 2::numeric ^ (v_e + 1) <= abs(v_n) then v_e := v_e + 1; end if;
      if 2::numeric ^ v_e > abs(v_n) then v_e := v_e - 1; end if;
      if v_n <> trunc(v_n) or mod(abs(v_n), 2::numeric ^ (v_e - 52)) <> 0 then
        return format('holds %s, which JavaScript would read as %s', v_shown, jobmaster.javascript_reading(v_n));
      end if;
    end if;
  end loop;
  return null;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_begin_runs(p_run_ids bigint[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
declare
  v_runs  bigint[];
  v_steps text[];
begin
  with steps as (
    insert into jobmaster.workflow_run_steps (run_id, step_id, position, type_key, task_key, requires, args, priority, pending)
    select r.id, s.value ->> 'id', s.ord, s.value ->> 'type_key', s.value ->> 'task_key',
           array(select jsonb_array_elements_text(s.value -> 'requires')), coalesce(s.value -> 'args', '{}'),
           coalesce((s.value ->> 'priority')::integer, 0), jsonb_array_length(s.value -> 'requires')
      from jobmaster.workflow_runs r
     cross join lateral jsonb_array_elements(r.definition -> 'steps') with ordinality s(value, ord)
     where r.id = any (p_run_ids)
    returning run_id, step_id, position, pending
  )
  select array_agg(s.run_id order by s.run_id, s.position), array_agg(s.step_id order by s.run_id, s.position)
    into v_runs, v_steps
    from steps s where s.pending = 0;
  if v_runs is not null then
    perform jobmaster.workflow_start_steps(v_runs, v_steps);
  end if;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_definition(p_name text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_definition jsonb;
begin
  select w.definition into v_definition from jobmaster.workflows w where w.name = p_name;
  if not found then
    raise exception using errcode = 'JM008', detail = p_name,
      message = format('No workflow %s is deployed ("jm deploy" syncs the workflow files; "jm workflows" lists them)', to_jsonb(left(p_name, 200))::text);
  end if;
  return v_definition;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_fail_run(p_run_id bigint, p_status text, p_message text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
begin
  update jobmaster.workflow_runs r set status = p_status, finished_at = now(), message = p_message
   where r.id = p_run_id and r.status = 'running';
  if not found then
    return false;
  end if;
  update jobmaster.workflow_run_steps s
     set status = 'skipped', message = format('skipped: the run %s', case when p_status = 'cancelled' then 'was cancelled' else 'failed' end)
   where s.run_id = p_run_id and s.status = 'pending';
  return true;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_jobs_ended(p_job_ids bigint[])
 RETURNS void
 LANGUAGE plpgsql
 SET enable_nestloop TO 'on'
 SET enable_mergejoin TO 'on'
 SET enable_seqscan TO 'on'
 SET enable_sort TO 'on'
 SET plan_cache_mode TO 'auto'
AS $function$
declare
  v_step record;
begin
  if not exists (select 1 from jobmaster.jobs j where j.id = any (p_job_ids) and j.workflow_run_id is not null) then
    return;
  end if;
  for v_step in
    select s.run_id, s.step_id, j.status, j.message
      from jobmaster.jobs j
      join jobmaster.workflow_run_steps s on s.job_id = j.id and s.run_id = j.workflow_run_id
     where j.id = any (p_job_ids) and j.workflow_run_id is not null and j.status in ('failed', 'cancelled')
       and s.status = 'started'
     order by s.run_id
  loop
    perform 1 from jobmaster.workflow_runs r where r.id = v_step.run_id for update;
    update jobmaster.workflow_run_steps s set status = v_step.status, message = v_step.message
     where s.run_id = v_step.run_id and s.step_id = v_step.step_id;
    perform jobmaster.workflow_fail_run(v_step.run_id, 'failed',
      format('step "%s" %s: %s', v_step.step_id, v_step.status, coalesce(v_step.message, 'no message')));
  end loop;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_params(p_name text, p_definition jsonb, p_params jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
declare
  v_params  jsonb := '{}';
  v_param   jsonb;
  v_value   jsonb;
  v_unknown text;
begin
  p_params := coalesce(p_params, '{}');
  if jsonb_typeof(p_params) <> 'object' then
    raise exception using errcode = 'JM002', message = format('workflow %s: parameters must be a JSON object, got %s', p_name, jsonb_typeof(p_params));
  end if;
  select k into v_unknown from jsonb_object_keys(p_params) k
   where not exists (select 1 from jsonb_array_elements(p_definition -> 'params') p where p ->> 'name' = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002', message = format('workflow %s: unknown parameter %s', p_name, to_jsonb(left(v_unknown, 60))::text);
  end if;
  for v_param in select p from jsonb_array_elements(p_definition -> 'params') p loop
    v_value := p_params -> (v_param ->> 'name');
    if v_value is null then
      if (v_param ->> 'required')::boolean then
        raise exception using errcode = 'JM002', message = format('workflow %s: missing required parameter "%s"', p_name, v_param ->> 'name');
      end if;
      v_value := v_param -> 'default';
    elsif not (case v_param ->> 'type'
                 when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                 else jsonb_typeof(v_value) = v_param ->> 'type' end) then
      raise exception using errcode = 'JM002',
        message = format('workflow %s: parameter "%s" must be %s, got %s', p_name, v_param ->> 'name',
                         case when v_param ->> 'type' in ('integer', 'array', 'object') then 'an ' else 'a ' end || (v_param ->> 'type'),
                         left(v_value::text, 60));
    end if;
    v_params := v_params || jsonb_build_object(v_param ->> 'name', v_value);
  end loop;

  return v_params;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_reference(p_ref text, p_params jsonb, p_results jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  v_parts text[] := string_to_array(p_ref, '.');
  v_value jsonb;
begin
  if v_parts[1] = 'params' and cardinality(v_parts) >= 2 then
    v_value := p_params #> v_parts[2:];
  elsif v_parts[1] = 'steps' and cardinality(v_parts) >= 3 and v_parts[3] = 'result' then
    if not (p_results ? v_parts[2]) then
      raise exception using errcode = 'JM002', message = format('${{ %s }}: step "%s" has not completed', p_ref, v_parts[2]);
    end if;
    v_value := (p_results -> v_parts[2]) #> coalesce(v_parts[4:], '{}');
  else
    raise exception using errcode = 'JM002', message = format('${{ %s }} is not a reference', p_ref);
  end if;
  if v_value is null then
    raise exception using errcode = 'JM002', message = format('${{ %s }} points at nothing: %s', p_ref,
      case when v_parts[1] = 'params' then 'the run has no such parameter'
           else format('the result of step "%s" has no such value', v_parts[2]) end);
  end if;
  return v_value;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_resolve(p_value jsonb, p_params jsonb, p_results jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
AS $function$
declare
  v_whole text[];
  v_text  text;
  v_ref   text[];
  v_found jsonb;
begin
  -- Most values hold no reference: returned as they are, without walking them.
  if position('${{' in p_value::text) = 0 then
    return p_value;
  end if;
  case jsonb_typeof(p_value)
    when 'object' then
      return coalesce((select jsonb_object_agg(e.key, jobmaster.workflow_resolve(e.value, p_params, p_results))
                         from jsonb_each(p_value) e), '{}'::jsonb);
    when 'array' then
      return coalesce((select jsonb_agg(jobmaster.workflow_resolve(e.value, p_params, p_results) order by e.ord)
                         from jsonb_array_elements(p_value) with ordinality e(value, ord)), '[]'::jsonb);
    when 'string' then
      v_text := p_value #>> '{}';
      if position('${{' in v_text) = 0 then
        return p_value;
      end if;
      v_whole := regexp_match(v_text, '^\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$');
      if v_whole is not null then
        return jobmaster.workflow_reference(v_whole[1], p_params, p_results);
      end if;
      for v_ref in select regexp_matches(v_text, '\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}', 'g') loop
        v_found := jobmaster.workflow_reference(v_ref[1], p_params, p_results);
        v_text := regexp_replace(v_text, '\$\{\{\s*' || replace(v_ref[1], '.', '\.') || '\s*\}\}',
                                 replace(case when jsonb_typeof(v_found) = 'string' then v_found #>> '{}' else v_found::text end, '\', '\\'));
      end loop;
      return to_jsonb(v_text);
    else
      return p_value;
  end case;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_start_step(p_run_id bigint, p_step_id text)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
declare
  v_step    jobmaster.workflow_run_steps;
  v_params  jsonb;
  v_trace   jsonb;
  v_results jsonb;
  v_args    jsonb;
  v_job     bigint;
  v_param   text;
  v_from    text;
  v_message text;
begin
  select * into v_step from jobmaster.workflow_run_steps s where s.run_id = p_run_id and s.step_id = p_step_id;
  select r.params, r.trace_context into v_params, v_trace from jobmaster.workflow_runs r where r.id = p_run_id;
  select coalesce(jsonb_object_agg(s.step_id, coalesce(s.result, 'null'::jsonb)), '{}') into v_results
    from jobmaster.workflow_run_steps s where s.run_id = p_run_id and s.status = 'complete';
  begin
    v_args := jobmaster.workflow_resolve(v_step.args, v_params, v_results);
    -- A fan-out job completes when it has spawned its children, so its run would go on without
    -- them (the same words as validate-workflows.ts, for "ALL" given by a parameter or result).
    select a.key into v_param
      from jobmaster.tasks t, jsonb_each(v_args) a
     where t.type_key = v_step.type_key and t.task_key = v_step.task_key
       and a.key = any (t.write_all) and a.value = '"ALL"'::jsonb
     limit 1;
    if v_param is not null then
      raise exception using errcode = 'JM002',
        message = format('%s.%s: parameter "%s" is "ALL": a workflow step cannot fan out (its run would not wait for the fanned-out jobs); declare a step for each value',
                         v_step.type_key, v_step.task_key, v_param);
    end if;
    select e.job_id into v_job
      from jobmaster.enqueue(v_step.type_key, v_step.task_key, v_step.priority, v_args, null, null,
                           format('workflow:%s:%s', p_run_id, p_step_id), 'raise', v_trace) e;
  exception when others then
    -- Name the parameter and, when its value came from another step, that step.
    v_param := substring(sqlerrm from 'parameter "([^"]+)"');
    v_from := substring(coalesce(v_step.args ->> v_param, '') from '\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.result');
    v_message := format('step "%s" could not start: %s%s', p_step_id,
                        case when v_from is not null
                             then format('parameter "%s" from step "%s" (%s) does not fit %s.%s: ', v_param, v_from,
                                         v_step.args ->> v_param, v_step.type_key, v_step.task_key)
                             else '' end,
                        sqlerrm);
    update jobmaster.workflow_run_steps s set status = 'failed', message = v_message
     where s.run_id = p_run_id and s.step_id = p_step_id;
    perform jobmaster.workflow_fail_run(p_run_id, 'failed', v_message);
    return null;
  end;
  update jobmaster.jobs j set workflow_run_id = p_run_id where j.id = v_job;
  update jobmaster.workflow_run_steps s set status = 'started', job_id = v_job, pending = 0, message = null
   where s.run_id = p_run_id and s.step_id = p_step_id;
  return v_job;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_start_steps(p_run_ids bigint[], p_step_ids text[])
 RETURNS bigint[]
 LANGUAGE plpgsql
AS $function$
declare
  v_count  integer;
  v_failed bigint[];
  v_step   record;
begin
  begin
    -- Set-based throughout: joins and one aggregate per stage, no statement per step.
    -- Materialized: inlined, the planner evaluated the resolution for steps outside the set.
    with wanted as materialized (
      select u.ord, s.run_id, s.step_id, s.type_key, s.task_key, s.priority, s.args, r.params, r.trace_context,
             position('${{' in s.args::text) > 0 as has_refs
        from unnest(p_run_ids, p_step_ids) with ordinality u(run_id, step_id, ord)
        -- Each by primary key (offset 0 keeps the planner from hashing the whole table,
        -- which it did from statistics that did not yet count the runs of the last minutes).
        cross join lateral (select s.* from jobmaster.workflow_run_steps s
                             where s.run_id = u.run_id and s.step_id = u.step_id offset 0) s
        cross join lateral (select r.params, r.trace_context from jobmaster.workflow_runs r where r.id = s.run_id offset 0) r
    ), entries as materialized (
      -- The entries of arguments that hold references; ref: the reference an entry is exactly
      -- (`${{ steps.a.result.n }}` -> {steps,a,result,n}), null for any other entry.
      select w.ord, w.run_id, w.params, e.key, e.value,
             string_to_array(substring(e.value #>> '{}' from '^\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$'), '.') as ref
        from wanted w
        cross join lateral jsonb_each(w.args) e
       where w.has_refs and jsonb_typeof(w.args) = 'object'
    ), looked_up as (
      -- simple: the entry holds no reference or is exactly one. v: its value, null when the
      -- reference points at nothing (workflow_start_step then names it).
      select en.ord, en.key, en.ref is not null or position('${{' in en.value::text) = 0 as simple,
             case when en.ref is null then en.value
                  when en.ref[1] = 'params' and cardinality(en.ref) >= 2 then en.params #> en.ref[2:]
                  when en.ref[1] = 'steps' and cardinality(en.ref) >= 3 and en.ref[3] = 'result' and c.status = 'complete'
                    then coalesce(c.result, 'null'::jsonb) #> coalesce(en.ref[4:], '{}')
             end as v
        from entries en
        -- The referenced step, by primary key (as above; its status is tested in the case).
        left join lateral (select c.status, c.result from jobmaster.workflow_run_steps c
                            where c.run_id = en.run_id and c.step_id = en.ref[2] offset 0) c on true
    ), simple as (
      select l.ord, bool_and(l.simple) as simple,
             case when bool_and(l.v is not null) then jsonb_object_agg(l.key, l.v) end as a
        from looked_up l group by l.ord
    ), resolved as materialized (
      -- Any other shape (a reference inside longer text, nested arguments) by workflow_resolve.
      select w.ord, w.run_id, w.step_id, w.type_key, w.task_key, w.priority, w.trace_context,
             case when not w.has_refs then w.args
                  when x.simple then x.a
                  else jobmaster.workflow_resolve(w.args, w.params,
                         (select coalesce(jsonb_object_agg(c.step_id, coalesce(c.result, 'null'::jsonb)), '{}')
                            from jobmaster.workflow_run_steps c where c.run_id = w.run_id and c.status = 'complete'))
             end as a
        from wanted w
        left join simple x on x.ord = w.ord
    ), batch as (
      select array_agg(r.ord order by r.ord) as ords, array_agg(r.type_key order by r.ord) as type_keys,
             array_agg(r.task_key order by r.ord) as task_keys, array_agg(r.a order by r.ord) as args
        from resolved r
    ), prepared as materialized (
      select r.run_id, r.step_id, r.type_key, r.task_key, r.priority, r.trace_context, f.arguments as args
        from batch b
        cross join lateral jobmaster.fitting_arguments(b.type_keys, b.task_keys, b.args) f
        join resolved r on r.ord = b.ords[f.ord]
    ), inserted as (
      insert into jobmaster.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, job_key, workflow_run_id,
                                trace_context)
      select p.type_key, p.task_key, p.priority, p.args, t.process_units, t.max_attempts, now(),
             format('workflow:%s:%s', p.run_id, p.step_id), p.run_id, p.trace_context
        from prepared p
        join jobmaster.tasks t on t.type_key = p.type_key and t.task_key = p.task_key
       where p.args is not null
      -- No ON CONFLICT (its speculative insertion costs a fifth of the insert): a step's key
      -- is held only if the step already has a job, and then the unique violation sends the
      -- set to the per-step path, which says so.
      returning id, workflow_run_id, job_key
    ), started as (
      update jobmaster.workflow_run_steps s set status = 'started', job_id = i.id, pending = 0, message = null
        from inserted i
       -- The step id from the key, so each step is found by primary key (matching the key
       -- against every step of the run was quadratic: a 1,000-wide fan-out took 0.55 s).
       where s.run_id = i.workflow_run_id and s.step_id = substr(i.job_key, length(format('workflow:%s:', i.workflow_run_id)) + 1)
      returning 1
    )
    select count(*) into v_count from started;
    if v_count < cardinality(p_step_ids) then
      raise exception using errcode = 'JM002', message = 'a step could not start in the set';
    end if;
    perform pg_notify('jm:jobmaster', '');
    return null;
  exception when others then
    -- Undone: start each step alone, so each failure is named.
    null;
  end;
  for v_step in select u.run_id, u.step_id from unnest(p_run_ids, p_step_ids) with ordinality u(run_id, step_id, ord) order by u.ord loop
    -- A run that failed on an earlier step has skipped the rest.
    continue when v_step.run_id = any (coalesce(v_failed, '{}'));
    if jobmaster.workflow_start_step(v_step.run_id, v_step.step_id) is null then
      v_failed := v_failed || v_step.run_id;
    end if;
  end loop;
  return v_failed;
end;
$function$;

CREATE OR REPLACE FUNCTION jobmaster.workflow_steps_completed(p_job_ids bigint[])
 RETURNS void
 LANGUAGE plpgsql
 SET enable_nestloop TO 'on'
 SET enable_mergejoin TO 'on'
 SET enable_seqscan TO 'on'
 SET enable_sort TO 'on'
 SET plan_cache_mode TO 'auto'
AS $function$
declare
  v_run_ids     bigint[];
  v_step_ids    text[];
  v_ready_runs  bigint[];
  v_ready_steps text[];
begin
  perform 1 from jobmaster.workflow_runs r
   where r.id in (select j.workflow_run_id from jobmaster.jobs j where j.id = any (p_job_ids))
   order by r.id
     for update;
  with done as (
    update jobmaster.workflow_run_steps s
       set status = 'complete', result = j.result, message = null
      from jobmaster.jobs j
     where j.id = any (p_job_ids) and s.run_id = j.workflow_run_id and s.job_id = j.id and s.status = 'started'
    returning s.run_id, s.step_id
  )
  select array_agg(d.run_id), array_agg(d.step_id) into v_run_ids, v_step_ids from done d;
  if v_run_ids is null then
    return;
  end if;
  -- In running runs, each dependent waits for as many fewer requirements as it has among the
  -- steps just completed. Those left waiting for none start (workflow_start_steps sets their
  -- count to 0 as it marks them started), so their rows are written once, not twice: the run
  -- lock taken above keeps every other advance of the run out meanwhile.
  with done as (
    select u.run_id, array_agg(u.step_id) as steps
      from unnest(v_run_ids, v_step_ids) u(run_id, step_id)
      join jobmaster.workflow_runs r on r.id = u.run_id and (r.status = 'running') is true
     group by u.run_id
  ), counted as materialized (
    select s.run_id, s.step_id, s.position, s.pending - (select count(*) from unnest(s.requires) q where q = any (d.steps)) as pending
      from done d
      join jobmaster.workflow_run_steps s on s.run_id = d.run_id
     where s.status = 'pending' and s.requires && d.steps
  ), waiting as (
    update jobmaster.workflow_run_steps s set pending = c.pending
      from counted c
     where c.pending > 0 and s.run_id = c.run_id and s.step_id = c.step_id
  )
  select array_agg(c.run_id order by c.run_id, c.position), array_agg(c.step_id order by c.run_id, c.position)
    into v_ready_runs, v_ready_steps
    from counted c where c.pending = 0;
  if v_ready_runs is not null then
    perform jobmaster.workflow_start_steps(v_ready_runs, v_ready_steps);
  end if;
  -- Runs still running whose every step is complete are complete.
  update jobmaster.workflow_runs r set status = 'complete', finished_at = now(), message = null
   where r.id = any (v_run_ids) and (r.status = 'running') is true
     and not exists (select 1 from jobmaster.workflow_run_steps s where s.run_id = r.id and s.status <> 'complete');
end;
$function$;
