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
  cancel_requested    boolean not null default false
);

-- One waiting or running job per task and arguments: an identical enqueue gets the existing id.
create unique index jobs_active_identity on :schema.jobs (type_key, task_key, md5(arguments::text))
  where status in ('waiting', 'running');
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

-- Checks arguments against the registry and returns them with defaults filled in.
-- Raises SQLSTATE JM001 for an unknown task, JM002 for arguments that break a rule.
create function :schema.prepare_arguments(p_type_key text, p_task_key text, p_arguments jsonb)
returns jsonb
language plpgsql stable
as $$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_write_all text[];
  v_result    jsonb := '{}';
  v_param     record;
  v_value     jsonb;
  v_unknown   text;
  v_shown     text;
begin
  select t.write_all into v_write_all
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  if not found then
    raise exception using errcode = 'JM001',
      message = format('No task %s is registered (run "jm tasks" to list them, "jm deploy" to sync them)', v_task);
  end if;
  if p_arguments is null then
    p_arguments := '{}';
  elsif jsonb_typeof(p_arguments) <> 'object' then
    raise exception using errcode = 'JM002',
      message = format('%s: arguments must be a JSON object, got %s', v_task, jsonb_typeof(p_arguments));
  end if;

  select k into v_unknown
    from jsonb_object_keys(p_arguments) k
   where not exists (select 1 from :schema.task_parameters p
                      where p.type_key = p_type_key and p.task_key = p_task_key and p.name = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002',
      message = format('%s: unknown parameter %s', v_task, to_jsonb(left(v_unknown, 60))::text);
  end if;

  for v_param in
    select * from :schema.task_parameters p
     where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := p_arguments -> v_param.name;
    if v_value is null then
      if v_param.required then
        raise exception using errcode = 'JM002',
          message = format('%s: missing required parameter "%s"', v_task, v_param.name);
      end if;
      v_value := v_param.default_value;
    elsif v_value = '"ALL"'::jsonb and v_param.name = any (v_write_all) then
      null; -- fans out over the select-from values when the job runs
    else
      v_shown := left(v_value::text, 60);
      if v_value = '"ALL"'::jsonb and (v_param.json_type <> 'string' or v_param.select_from is not null)
         and not coalesce(v_param.select_from @> '["ALL"]'::jsonb, false) then
        raise exception using errcode = 'JM002',
          message = format('%s: "ALL" is only allowed for write-all parameters, and "%s" is not one', v_task, v_param.name);
      elsif v_value = 'null'::jsonb and not v_param.required and v_param.default_value = 'null'::jsonb then
        null; -- an optional parameter whose default is null accepts null
      elsif not (case v_param.json_type
                   when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                   else jsonb_typeof(v_value) = v_param.json_type
                 end) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be %s, got %s', v_task, v_param.name,
                           case when v_param.json_type in ('integer', 'array', 'object') then 'an ' else 'a ' end || v_param.json_type,
                           v_shown);
      elsif v_param.select_from is not null
            and not exists (select 1 from jsonb_array_elements(v_param.select_from) e where e = v_value) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be one of %s, got %s', v_task, v_param.name,
                           (select string_agg(e::text, ', ') from jsonb_array_elements(v_param.select_from) e), v_shown);
      end if;
    end if;
    v_result := v_result || jsonb_build_object(v_param.name, v_value);
  end loop;
  return v_result;
end;
$$;

-- Puts one job on the queue, or returns the identical waiting/running job's id.
-- Params: type key, task key, priority, arguments (validated, defaults filled),
-- run_at (null = now), spawned_by (the job inserting it, if any).
create function :schema.enqueue(
  p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb,
  p_run_at timestamptz default null, p_spawned_by bigint default null,
  out job_id bigint, out inserted boolean)
language plpgsql volatile
as $$
declare
  v_arguments jsonb;
  v_units     integer;
  v_max       integer;
begin
  if p_priority is null then
    raise exception using errcode = 'JM002', message = format('%s.%s: priority must be an integer, got null', p_type_key, p_task_key);
  end if;
  v_arguments := :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select t.process_units, t.max_attempts into v_units, v_max
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  loop
    insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by)
    values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by)
    on conflict (type_key, task_key, md5(arguments::text)) where status in ('waiting', 'running') do nothing
    returning id into job_id;
    if job_id is not null then
      inserted := true;
      perform pg_notify(:channel_literal, '');
      return;
    end if;
    -- An identical job is waiting or running; it may finish before we read it, then retry the insert.
    select j.id into job_id from :schema.jobs j
     where j.type_key = p_type_key and j.task_key = p_task_key
       and md5(j.arguments::text) = md5(v_arguments::text) and j.status in ('waiting', 'running');
    if job_id is not null then
      inserted := false;
      return;
    end if;
  end loop;
end;
$$;

-- Puts many jobs on the queue in one call, in order; same rules as enqueue.
-- Param: a JSON array of {"type_key", "task_key", "priority", "arguments", "run_at"}.
create function :schema.enqueue_many(p_jobs jsonb)
returns table (job_id bigint, inserted boolean)
language plpgsql volatile
as $$
declare
  v_job jsonb;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
  end if;
  for v_job in select value from jsonb_array_elements(p_jobs) with ordinality order by ordinality loop
    select e.job_id, e.inserted into job_id, inserted
      from :schema.enqueue(v_job ->> 'type_key', v_job ->> 'task_key',
                           coalesce((v_job ->> 'priority')::integer, 0), v_job -> 'arguments',
                           (v_job ->> 'run_at')::timestamptz) e;
    return next;
  end loop;
end;
$$;

-- The SQL door, as in the original JobMaster:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/tmp/sum.txt", "number": 2}'::json)
-- Returns the job id (new, or the identical waiting/running job's) as job_id.
create procedure :schema.insert_job(
  type_key text, task_key text, priority integer, arguments json,
  run_at timestamptz default null, inout job_id bigint default null)
language plpgsql
as $$
begin
  select e.job_id into job_id from :schema.enqueue(type_key, task_key, priority, arguments::jsonb, run_at) e;
end;
$$;
