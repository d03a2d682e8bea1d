-- JobMaster schema, version 4: cron schedules that fire exactly one job per tick however
-- many workers run, and the lookup an idle worker needs to wake on time.
-- Placeholders as in 0001.

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
