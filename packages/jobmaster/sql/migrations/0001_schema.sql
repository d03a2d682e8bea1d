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

-- Puts one job on the queue. Params: type key, task key, priority, arguments (validated,
-- defaults filled), run_at (null = now), spawned_by (the job inserting it, if any), job key
-- (null = none), conflict mode for a key held by a waiting or running job of the task:
--   'raise'   (default) SQLSTATE JM004; detail is {"job_id", "status", "job_key", "task"}.
--   'ignore'  return the existing job's id; nothing changes.
--   'replace' a waiting job takes the new arguments, priority and run_at (its attempts and
--             error reset: it is the new request now). A running job cannot change: it
--             keeps running but gives up the key and will not be retried, and a new job
--             with the key is inserted (graphile-worker's rule for a locked job).
-- Without a key, an identical unkeyed job (same task and arguments) already waiting or
-- running is returned instead of inserting a second.
-- Returns job_id, inserted (a new row), outcome: 'inserted', 'identical' (unkeyed twin
-- found), 'existing' (ignore), 'replaced' (waiting job updated), 'superseded' (running job
-- gave up the key to the new job).
create function :schema.enqueue(
  p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb,
  p_run_at timestamptz default null, p_spawned_by bigint default null,
  p_job_key text default null, p_on_conflict text default 'raise',
  out job_id bigint, out inserted boolean, out outcome text)
language plpgsql volatile
as $$
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
  v_arguments := :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select t.process_units, t.max_attempts into v_units, v_max
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;

  if p_job_key is null then
    loop
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by)
      values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by)
      on conflict (type_key, task_key, md5(arguments::text))
        where status in ('waiting', 'running') and job_key is null and schedule_name is null
        do nothing
      returning id into job_id;
      if job_id is not null then
        inserted := true;
        outcome := 'inserted';
        perform pg_notify(:channel_literal, '');
        return;
      end if;
      -- An identical job is waiting or running; it may finish before we read it, then retry the insert.
      select j.id into job_id from :schema.jobs j
       where j.type_key = p_type_key and j.task_key = p_task_key and j.job_key is null and j.schedule_name is null
         and md5(j.arguments::text) = md5(v_arguments::text) and j.status in ('waiting', 'running');
      if job_id is not null then
        inserted := false;
        outcome := 'identical';
        return;
      end if;
    end loop;
  end if;

  loop
    insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, job_key)
    values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_job_key)
    on conflict (type_key, task_key, job_key) where job_key is not null and status in ('waiting', 'running') do nothing
    returning id into job_id;
    if job_id is not null then
      inserted := true;
      outcome := coalesce(outcome, 'inserted');
      perform pg_notify(:channel_literal, '');
      return;
    end if;
    -- The key is held. Lock the holder: a claim in progress finishes first, so we see
    -- whether it still waits or now runs.
    select j.id, j.status into v_existing from :schema.jobs j
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
      update :schema.jobs j
         set arguments = v_arguments, priority = p_priority, run_at = coalesce(p_run_at, now()),
             process_units = v_units, max_attempts = v_max, attempts = 0, error = null,
             waiting_for = null, dependency_requeues = 0,
             message = 'replaced by a new enqueue with the same key'
       where j.id = v_existing.id;
      insert into :schema.job_events (job_id, status, message)
      values (v_existing.id, 'waiting', 'replaced by a new enqueue with the same key');
      perform pg_notify(:channel_literal, '');
      job_id := v_existing.id;
      inserted := false;
      outcome := 'replaced';
      return;
    else
      -- Running: it cannot take new arguments. It finishes as it is, without retries, and
      -- the key passes to a new job with the new request.
      update :schema.jobs j
         set job_key = null, max_attempts = least(j.max_attempts, j.attempts)
       where j.id = v_existing.id;
      outcome := 'superseded';
    end if;
  end loop;
end;
$$;

-- Puts many jobs on the queue in one call, in order, all or none; same rules, results and
-- messages as calling enqueue for each job in turn.
-- Param: a JSON array of {"type_key", "task_key", "priority", "arguments", "run_at",
-- "job_key", "on_conflict"} (all but the keys optional).
-- Returns one row per job, in order: job_id, inserted, outcome (as enqueue).
--
-- Fast path: when no job has a job key and every job is valid by the rules of
-- prepare_arguments (checked here set-based, conservatively), the batch is validated,
-- defaulted and inserted by one INSERT ... SELECT ... ON CONFLICT DO NOTHING, ids assigned in
-- array order, rows inserted in a fixed order (so concurrent batches cannot deadlock). An
-- identical job earlier in the batch, or already waiting or running, gives
-- its id ('identical'). Anything else (a key, an invalid job, a priority or run_at that is
-- not plainly an integer or a timestamp string) takes the slow path: enqueue per job, which
-- raises exactly the message a single enqueue would, naming the first bad job. A job whose
-- identical twin finished between the insert and the lookup is enqueued alone.
create function :schema.enqueue_many(p_jobs jsonb)
returns table (job_id bigint, inserted boolean, outcome text)
language plpgsql volatile
as $$
declare
  v_job      jsonb;
  v_ok       boolean;
  v_ids      bigint[];
  v_inserted boolean[];
  v_jobs     jsonb[];
  v_any      boolean;
  i          integer;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
  end if;

  with src as (
    select e.ord, e.value as job from jsonb_array_elements(p_jobs) with ordinality e(value, ord)
  ), prepared as (
    select s.ord, s.job, t.type_key, t.task_key, t.process_units, t.max_attempts,
           coalesce(s.job -> 'arguments', '{}') as given,
           -- Integers only, as text: the slow path casts (->> 'priority')::integer.
           case when s.job -> 'priority' is null or s.job -> 'priority' = 'null' then 0
                when jsonb_typeof(s.job -> 'priority') <> 'number' then null
                when (s.job ->> 'priority') !~ '^-?[0-9]{1,10}$' then null
                when (s.job ->> 'priority')::bigint between -2147483648 and 2147483647 then (s.job ->> 'priority')::integer
           end as priority,
           t.write_all
      from src s
      left join :schema.tasks t
        on jsonb_typeof(s.job) = 'object'
       and jsonb_typeof(s.job -> 'type_key') = 'string' and jsonb_typeof(s.job -> 'task_key') = 'string'
       and t.type_key = s.job ->> 'type_key' and t.task_key = s.job ->> 'task_key'
  ), params as (
    -- The parameters of the batch's tasks, read once and joined by hash rather than probed per job.
    select tp.*, p.write_all
      from (select distinct type_key, task_key, write_all from prepared where type_key is not null) p
      join :schema.task_parameters tp on tp.type_key = p.type_key and tp.task_key = p.task_key
  ), given_values as (
    -- One row per job and parameter: the value given (null when absent) and whether it passes.
    select p.ord, tp.name,
           coalesce(p.given -> tp.name, tp.default_value) as value,
           case
             when p.given -> tp.name is null then not tp.required
             when p.given -> tp.name = '"ALL"' and tp.name = any (tp.write_all) then true
             when p.given -> tp.name = '"ALL"' and (tp.json_type <> 'string' or tp.select_from is not null)
                  and not coalesce(tp.select_from @> '["ALL"]', false) then false
             when p.given -> tp.name = 'null' and not tp.required and tp.default_value = 'null' then true
             when not (case tp.json_type
                         when 'integer' then case when jsonb_typeof(p.given -> tp.name) = 'number'
                                                  then (p.given -> tp.name)::text::numeric = trunc((p.given -> tp.name)::text::numeric)
                                                  else false end
                         else jsonb_typeof(p.given -> tp.name) = tp.json_type end) then false
             when tp.select_from is not null
                  and not exists (select 1 from jsonb_array_elements(tp.select_from) e where e = p.given -> tp.name) then false
             else true
           end as ok
      from prepared p
      join params tp on tp.type_key = p.type_key and tp.task_key = p.task_key
     where jsonb_typeof(p.given) = 'object'
  ), unknown_keys as (
    select distinct p.ord
      from prepared p
     cross join lateral jsonb_object_keys(case when jsonb_typeof(p.given) = 'object' then p.given else '{}' end) k
      left join params tp on tp.type_key = p.type_key and tp.task_key = p.task_key and tp.name = k
     where tp.name is null
  ), verdict as (
    select coalesce(bool_and(
             p.type_key is not null
             and p.priority is not null
             and (p.job -> 'job_key' is null or p.job -> 'job_key' = 'null')
             and coalesce(p.job ->> 'on_conflict', 'raise') in ('raise', 'ignore', 'replace')
             and (p.job -> 'run_at' is null or jsonb_typeof(p.job -> 'run_at') in ('string', 'null'))
             and jsonb_typeof(p.given) = 'object'), true)
           and not exists (select 1 from unknown_keys)
           and not exists (select 1 from given_values where not ok) as ok
      from prepared p
  ), filled as (
    -- Defaults filled in; only for a valid batch.
    select p.ord, p.job, p.type_key, p.task_key, p.priority, p.process_units, p.max_attempts,
           coalesce(a.arguments, '{}') as arguments
      from prepared p
      left join (select g.ord, jsonb_object_agg(g.name, g.value) as arguments from given_values g group by g.ord) a on a.ord = p.ord
     where (select ok from verdict)
  ), new_ids as (
    -- Ids follow the array's order, but rows go in sorted by identity: two batches holding
    -- the same jobs in different orders then lock them in the same order and cannot deadlock.
    select row_number() over (order by v.id) as nth, v.id
      from (select nextval(pg_get_serial_sequence(':schema.jobs', 'id')) as id from filled) v
  ), ins as (
    insert into :schema.jobs (id, type_key, task_key, priority, arguments, process_units, max_attempts, run_at)
    overriding system value
    select i.id, f.type_key, f.task_key, f.priority, f.arguments, f.process_units, f.max_attempts,
           coalesce((f.job ->> 'run_at')::timestamptz, now())
      from (select f.*, row_number() over (order by f.ord) as nth from filled f) f
      join new_ids i on i.nth = f.nth
     order by f.type_key, f.task_key, md5(f.arguments::text), f.ord
    on conflict (type_key, task_key, md5(arguments::text))
      where status in ('waiting', 'running') and job_key is null and schedule_name is null
      do nothing
    returning id, type_key as t_type, task_key as t_task, md5(arguments::text) as t_hash
  ), idents as (
    select f.ord, f.job, f.type_key, f.task_key, md5(f.arguments::text) as hash,
           row_number() over (partition by f.type_key, f.task_key, md5(f.arguments::text) order by f.ord) as nth
      from filled f
  )
  select (select ok from verdict),
         array_agg(coalesce(n.id, x.id) order by d.ord),
         array_agg(n.id is not null and d.nth = 1 order by d.ord),
         array_agg(d.job order by d.ord)
    into v_ok, v_ids, v_inserted, v_jobs
    from idents d
    left join ins n on n.t_type = d.type_key and n.t_task = d.task_key and n.t_hash = d.hash
    left join lateral (
      select j.id from :schema.jobs j
       where n.id is null and j.type_key = d.type_key and j.task_key = d.task_key
         and md5(j.arguments::text) = d.hash and j.status in ('waiting', 'running')
         and j.job_key is null and j.schedule_name is null
       limit 1) x on true;

  if v_ok then
    v_any := false;
    for i in 1 .. coalesce(cardinality(v_ids), 0) loop
      if v_ids[i] is null then
        -- The identical job finished meanwhile: enqueue this one alone (it retries the insert).
        select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
          from :schema.enqueue(v_jobs[i] ->> 'type_key', v_jobs[i] ->> 'task_key',
                               coalesce((v_jobs[i] ->> 'priority')::integer, 0), v_jobs[i] -> 'arguments',
                               (v_jobs[i] ->> 'run_at')::timestamptz, null, null, coalesce(v_jobs[i] ->> 'on_conflict', 'raise')) e;
      else
        job_id := v_ids[i];
        inserted := v_inserted[i];
        outcome := case when v_inserted[i] then 'inserted' else 'identical' end;
        v_any := v_any or v_inserted[i];
      end if;
      return next;
    end loop;
    if v_any then
      perform pg_notify(:channel_literal, '');
    end if;
    return;
  end if;

  for v_job in select value from jsonb_array_elements(p_jobs) with ordinality order by ordinality loop
    select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
      from :schema.enqueue(v_job ->> 'type_key', v_job ->> 'task_key',
                           coalesce((v_job ->> 'priority')::integer, 0), v_job -> 'arguments',
                           (v_job ->> 'run_at')::timestamptz, null,
                           v_job ->> 'job_key', coalesce(v_job ->> 'on_conflict', 'raise')) e;
    return next;
  end loop;
end;
$$;

-- The SQL door, as in the original JobMaster:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"file_path": "/tmp/sum.txt", "number": 2}'::json)
-- and with a key:
--   call jobmaster.insert_job('things1', 'foo', 10, '{"number": 2}'::json, job_key => 'nightly', on_conflict => 'replace')
-- Returns the job id (new, or the existing job's as enqueue says) as job_id.
create procedure :schema.insert_job(
  type_key text, task_key text, priority integer, arguments json,
  run_at timestamptz default null, inout job_id bigint default null,
  job_key text default null, on_conflict text default 'raise')
language plpgsql
as $$
begin
  select e.job_id into job_id
    from :schema.enqueue(type_key, task_key, priority, arguments::jsonb, run_at, null, job_key, on_conflict) e;
end;
$$;
