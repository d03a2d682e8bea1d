-- Fires one schedule, if nobody has since: advances next_fire_at from p_expected_next to
-- p_next (compare-and-set on the row) and inserts one job per tick of p_ticks (each tick at
-- most once, ever: jobs_schedule_tick), due now, with the schedule's arguments validated like
-- any enqueue. A tick whose job cannot be inserted (task gone, arguments no longer valid)
-- is recorded in last_error and still counts as fired, so a broken schedule cannot storm.
-- p_error records a failure to evaluate the expression (then p_ticks is empty).
-- A workflow's schedule (workflow_name) starts one run of it per tick instead, at most once
-- per tick (workflow_runs_tick); its rows carry the run's id as job_id.
-- Returns one row per tick: its job id, or null and the error; no rows when the schedule
-- was fired by another worker, paused, removed or changed meanwhile.
create or replace function :schema.fire_schedule(
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
      -- Workflows: a workflow's schedule starts one run per tick (job_id is the run's id).
      if v_s.workflow_name is not null then
        select r.run_id into job_id from :schema.start_workflow_run(v_s.workflow_name, '{}', null, 'raise', tick) r;
        if job_id is not null then
          v_last := job_id;
          v_any := true;
        end if;
        return next;
        continue;
      end if;
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
