-- Creates the steps of new runs from each run's copy of its definition, and starts every
-- step that requires none, the roots of all the runs as one set (workflow_start_steps: a root
-- that cannot start fails its run, as a step does).
-- Param: ids of runs just inserted into workflow_runs. Returns nothing.
create or replace function :schema.workflow_begin_runs(p_run_ids bigint[])
returns void
language plpgsql volatile
as $$
declare
  v_runs  bigint[];
  v_steps text[];
begin
  with steps as (
    insert into :schema.workflow_run_steps (run_id, step_id, position, type_key, task_key, requires, args, priority, pending)
    select r.id, s.value ->> 'id', s.ord, s.value ->> 'type_key', s.value ->> 'task_key',
           array(select jsonb_array_elements_text(s.value -> 'requires')), coalesce(s.value -> 'args', '{}'),
           coalesce((s.value ->> 'priority')::integer, 0), jsonb_array_length(s.value -> 'requires')
      from :schema.workflow_runs r
     cross join lateral jsonb_array_elements(r.definition -> 'steps') with ordinality s(value, ord)
     where r.id = any (p_run_ids)
    returning run_id, step_id, position, pending
  )
  select array_agg(s.run_id order by s.run_id, s.position), array_agg(s.step_id order by s.run_id, s.position)
    into v_runs, v_steps
    from steps s where s.pending = 0;
  if v_runs is not null then
    perform :schema.workflow_start_steps(v_runs, v_steps);
  end if;
end;
$$;
