-- When an idle worker should look again: the earliest run_at of a waiting job not yet due
-- (of the given 'type.task' names; null = any), read from jobs_waiting_run_at (a job due in
-- the future was never due at its creation), the earliest next tick of an active schedule,
-- and the database's clock to measure both against.
create or replace function :schema.next_wake(p_tasks text[])
returns table (next_run_at timestamptz, next_tick_at timestamptz, db_now timestamptz)
language sql stable
as $$
  select (select min(j.run_at) from :schema.jobs j
           where j.status = 'waiting' and j.run_at > now() and j.run_at > j.created_at
             and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))),
         (select min(s.next_fire_at) from :schema.schedules s where not s.paused),
         now();
$$;
