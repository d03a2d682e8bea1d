-- JobMaster schema, version 4: time and identity. Keyed jobs with a conflict mode, the
-- lookups an idle worker needs to wake on time, and cron schedules that fire exactly one
-- job per tick however many workers run.
-- Placeholders as in 0001.

------------------------------------------------------------------------------------------
-- Keyed jobs
------------------------------------------------------------------------------------------

-- A caller-chosen name for a job. While a job with a key waits or runs, no other job of the
-- same task may hold that key (the unique index below decides races, not a check first).
-- Once the job finishes (complete, failed, cancelled) the key is free for a new job.
alter table :schema.jobs add column job_key text
  check (job_key is null or length(job_key) between 1 and 255);

create unique index jobs_active_key on :schema.jobs (type_key, task_key, job_key)
  where job_key is not null and status in ('waiting', 'running');

-- Which schedule tick inserted the job (see "Cron schedules" below); null for other jobs.
alter table :schema.jobs add column schedule_name text;
alter table :schema.jobs add column schedule_tick timestamptz;
-- A tick can never produce two jobs, whoever fires it and however often.
create unique index jobs_schedule_tick on :schema.jobs (schedule_name, schedule_tick)
  where schedule_name is not null;

-- The identical-arguments rule (one waiting/running job per task and arguments) now covers
-- unkeyed, unscheduled jobs only: a key, or a schedule tick, is the identity of its job.
drop index :schema.jobs_active_identity;
create unique index jobs_active_identity on :schema.jobs (type_key, task_key, md5(arguments::text))
  where status in ('waiting', 'running') and job_key is null and schedule_name is null;

-- The earliest future run_at, for an idle worker's wake-up timer.
create index jobs_waiting_run_at on :schema.jobs (run_at) where status = 'waiting';

-- enqueue, enqueue_many and insert_job gain the key and the conflict mode.
drop procedure :schema.insert_job(text, text, integer, json, timestamptz, bigint);
drop function :schema.enqueue_many(jsonb);
drop function :schema.enqueue(text, text, integer, jsonb, timestamptz, bigint);

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

-- Puts many jobs on the queue in one call, in order, all or none; same rules as enqueue.
-- Param: a JSON array of {"type_key", "task_key", "priority", "arguments", "run_at",
-- "job_key", "on_conflict"} (all but the keys optional). Jobs later in the array see the
-- earlier ones, so two with one key follow the conflict mode of the second.
create function :schema.enqueue_many(p_jobs jsonb)
returns table (job_id bigint, inserted boolean, outcome text)
language plpgsql volatile
as $$
declare
  v_job jsonb;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
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

-- retry_jobs (0003) names the active twin that blocks a retry; with keys, that twin is the
-- job holding the key, or an identical unkeyed job. Same contract otherwise.
create or replace function :schema.retry_jobs(p_ids bigint[], p_node text, p_pid integer)
returns table (id bigint, status text, outcome text, twin_id bigint)
language plpgsql volatile
as $$
declare
  v_job   record;
  v_twin  bigint;
  v_any   boolean := false;
  v_missing bigint;
begin
  select min(u.id) into v_missing from unnest(p_ids) u(id)
   where not exists (select 1 from :schema.jobs m where m.id = u.id);
  if v_missing is not null then
    raise exception using errcode = 'JM003', message = format('No job with id %s', v_missing), detail = v_missing::text;
  end if;
  for v_job in
    select g.id as given, j.id, j.status, j.type_key, j.task_key, j.arguments, j.job_key, j.schedule_name
      from (select distinct u.id from unnest(p_ids) u(id)) g
      left join :schema.jobs j on j.id = g.id
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
        update :schema.jobs j
           set status = 'waiting', attempts = 0, run_at = now(), started_at = null, finished_at = null,
               lease_expires_at = null, worker_id = null, waiting_for = null, dependency_requeues = 0,
               result = null, error = null, cancel_requested = false, message = 'retried by an operator'
         where j.id = v_job.id and j.status in ('failed', 'cancelled');
        if found then
          insert into :schema.job_events (job_id, status, node, pid, message)
          values (v_job.id, 'waiting', p_node, p_pid, 'retried by an operator');
          outcome := 'retried';
          status := 'waiting';
          v_any := true;
        else
          -- Changed by someone else since it was read above.
          select j.status into status from :schema.jobs j where j.id = v_job.id;
          outcome := case when status is null then 'not_found' else 'not_retryable' end;
        end if;
      exception when unique_violation then
        select t.id into v_twin from :schema.jobs t
         where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.status in ('waiting', 'running')
           and case when v_job.job_key is not null then t.job_key = v_job.job_key
                    else t.job_key is null and t.schedule_name is null and md5(t.arguments::text) = md5(v_job.arguments::text) end
         limit 1;
        outcome := 'duplicate';
        twin_id := v_twin;
      end;
    end if;
    return next;
  end loop;
  if v_any then
    perform pg_notify(:channel_literal, '');
  end if;
end;
$$;

------------------------------------------------------------------------------------------
-- Cron schedules
------------------------------------------------------------------------------------------

-- Cron expressions are evaluated in TypeScript (cron-parser); the database holds each
-- schedule's state and decides, row by row, who fires a tick: a worker reads the due rows
-- (for update skip locked), computes the ticks to fire and the next tick, and calls
-- fire_schedule, which advances next_fire_at by compare-and-set and inserts the tick's job in
-- the same transaction. jobs_schedule_tick makes a second job for a tick impossible.
create table :schema.schedules (
  name           text primary key check (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.:#@/-]{0,199}$'),
  -- 'code': declared on a task, synced by `jm deploy`; 'runtime': added by `jm schedule add`.
  source         text not null check (source in ('code', 'runtime')),
  type_key       text not null,
  task_key       text not null,
  arguments      jsonb not null default '{}' check (jsonb_typeof(arguments) = 'object'),
  cron           text not null,
  -- IANA zone the expression is read in; null = UTC.
  time_zone      text,
  -- Ticks missed while nothing ran: 'latest' fires the latest one, 'skip' none,
  -- 'backfill' the latest backfill_limit ones.
  catch_up       text not null default 'latest' check (catch_up in ('latest', 'skip', 'backfill')),
  backfill_limit integer check (backfill_limit between 1 and 1000),
  paused         boolean not null default false,
  -- The first tick not yet fired; null when the expression has no further tick.
  next_fire_at   timestamptz,
  last_tick_at   timestamptz,
  last_fired_at  timestamptz,
  last_job_id    bigint,
  -- Why the last firing inserted no job (unknown task, arguments no longer valid), if so.
  last_error     text,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  check ((catch_up = 'backfill') = (backfill_limit is not null))
);
create index schedules_due on :schema.schedules (next_fire_at) where not paused;

-- Adds a schedule after validating its arguments like any enqueue (JM001 unknown task, JM002
-- bad arguments). Raises JM005 (detail {"name", "source"}) when the name is taken. The first
-- tick (p_next_fire_at) is computed by the caller from the expression. Wakes idle workers.
create function :schema.add_schedule(
  p_name text, p_source text, p_type_key text, p_task_key text, p_arguments jsonb, p_cron text,
  p_time_zone text, p_catch_up text, p_backfill_limit integer, p_next_fire_at timestamptz)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_source text;
begin
  perform :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select s.source into v_source from :schema.schedules s where s.name = p_name;
  if found then
    raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
      detail = jsonb_build_object('name', p_name, 'source', v_source)::text;
  end if;
  return query
    insert into :schema.schedules (name, source, type_key, task_key, arguments, cron, time_zone, catch_up, backfill_limit, next_fire_at)
    values (p_name, p_source, p_type_key, p_task_key, coalesce(p_arguments, '{}'), p_cron, p_time_zone, p_catch_up,
            p_backfill_limit, p_next_fire_at)
    returning *;
  perform pg_notify(:channel_literal, '');
exception when unique_violation then
  raise exception using errcode = 'JM005', message = format('schedule %s already exists', p_name),
    detail = jsonb_build_object('name', p_name, 'source', 'runtime')::text;
end;
$$;

-- Removes a run-time schedule (its jobs stay). JM006 (detail {"name"}) when there is none,
-- JM007 when it is declared in code (only a deploy removes those).
create function :schema.remove_schedule(p_name text)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_row :schema.schedules;
begin
  select * into v_row from :schema.schedules s where s.name = p_name for update;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if v_row.source = 'code' then
    raise exception using errcode = 'JM007', message = format('schedule %s is declared in code', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  delete from :schema.schedules s where s.name = p_name;
  return next v_row;
end;
$$;

-- Pauses or resumes a schedule (code or run-time; a deploy keeps the pause). Resuming sets
-- the next tick to p_next_fire_at (computed by the caller from now): ticks that passed
-- while paused are not fired. JM006 when there is no such schedule.
create function :schema.set_schedule_paused(p_name text, p_paused boolean, p_next_fire_at timestamptz default null)
returns setof :schema.schedules
language plpgsql volatile
as $$
declare
  v_row :schema.schedules;
begin
  update :schema.schedules s
     set paused = p_paused, updated_at = now(),
         next_fire_at = case when p_paused or not s.paused then s.next_fire_at else p_next_fire_at end
   where s.name = p_name
  returning * into v_row;
  if not found then
    raise exception using errcode = 'JM006', message = format('no schedule %s', p_name), detail = jsonb_build_object('name', p_name)::text;
  end if;
  if not p_paused then
    perform pg_notify(:channel_literal, '');
  end if;
  return next v_row;
end;
$$;

-- Fires one schedule, if nobody has since: advances next_fire_at from p_expected_next to
-- p_next (compare-and-set on the row) and inserts one job per tick of p_ticks (each tick at
-- most once, ever: jobs_schedule_tick), due now, with the schedule's arguments validated like
-- any enqueue. A tick whose job cannot be inserted (task gone, arguments no longer valid)
-- is recorded in last_error and still counts as fired, so a broken schedule cannot storm.
-- p_error records a failure to evaluate the expression (then p_ticks is empty).
-- Returns one row per tick: its job id, or null and the error; no rows when the schedule
-- was fired by another worker, paused, removed or changed meanwhile.
create function :schema.fire_schedule(
  p_name text, p_expected_next timestamptz, p_ticks timestamptz[], p_next timestamptz, p_error text default null)
returns table (tick timestamptz, job_id bigint, error text)
language plpgsql volatile
as $$
declare
  v_s     :schema.schedules;
  v_args  jsonb;
  v_last  bigint;
  v_error text := p_error;
  v_any   boolean := false;
begin
  update :schema.schedules s
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
      v_args := :schema.prepare_arguments(v_s.type_key, v_s.task_key, v_s.arguments);
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at,
                                schedule_name, schedule_tick)
      select v_s.type_key, v_s.task_key, 0, v_args, t.process_units, t.max_attempts, now(), v_s.name, tick
        from :schema.tasks t where t.type_key = v_s.type_key and t.task_key = v_s.task_key
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
  update :schema.schedules s
     set last_tick_at = coalesce((select max(t) from unnest(p_ticks) t), s.last_tick_at),
         last_fired_at = case when cardinality(coalesce(p_ticks, '{}')) > 0 then now() else s.last_fired_at end,
         last_job_id = coalesce(v_last, s.last_job_id),
         last_error = case when cardinality(coalesce(p_ticks, '{}')) > 0 or v_error is not null then v_error else s.last_error end
   where s.name = p_name;
  if v_any then
    perform pg_notify(:channel_literal, '');
  end if;
end;
$$;

------------------------------------------------------------------------------------------
-- Waking on time
------------------------------------------------------------------------------------------

-- When an idle worker should look again: the earliest run_at of a waiting job not yet due
-- (of the given 'type.task' names; null = any), the earliest next tick of an active
-- schedule, and the database's clock to measure both against.
create function :schema.next_wake(p_tasks text[])
returns table (next_run_at timestamptz, next_tick_at timestamptz, db_now timestamptz)
language sql stable
as $$
  select (select min(j.run_at) from :schema.jobs j
           where j.status = 'waiting' and j.run_at > now()
             and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))),
         (select min(s.next_fire_at) from :schema.schedules s where not s.paused),
         now();
$$;
