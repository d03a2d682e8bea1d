-- Starts many steps at once (the steps a batch of completions made ready, across runs): the
-- set-based form of workflow_start_step for the usual case, where every step's arguments
-- resolve and fit its task. Each step's arguments are resolved (workflow_resolve) and
-- validated (prepare_arguments) as one by one, its job is inserted with the key
-- "workflow:<run>:<step>" and the run's id, as enqueue inserts a keyed job, and the step is
-- marked started. If any step cannot start this way (a reference to nothing, arguments its task
-- refuses, "ALL", a key already held), nothing of the set is kept and each step is started by
-- workflow_start_step, which fails that step and its run with a message naming them.
-- One statement per stage instead of eight per step: a chain's advance cost a third as much.
-- Params: run ids and step ids, pairwise. Returns the run ids whose step failed to start
-- (so the caller knows those runs failed), or null.
create or replace function :schema.workflow_start_steps(p_run_ids bigint[], p_step_ids text[])
returns bigint[]
language plpgsql volatile
as $$
declare
  v_count  integer;
  v_failed bigint[];
  v_step   record;
begin
  begin
    -- Materialized: inlined, the planner evaluated the resolution for steps outside the set.
    with wanted as materialized (
      select s.run_id, s.step_id, s.type_key, s.task_key, s.priority, s.args, r.params,
             (select coalesce(jsonb_object_agg(c.step_id, coalesce(c.result, 'null'::jsonb)), '{}')
                from :schema.workflow_run_steps c where c.run_id = s.run_id and c.status = 'complete') as results
        from unnest(p_run_ids, p_step_ids) u(run_id, step_id)
        join :schema.workflow_run_steps s on s.run_id = u.run_id and s.step_id = u.step_id
        join :schema.workflow_runs r on r.id = s.run_id
    ), prepared as materialized (
      select w.run_id, w.step_id, w.type_key, w.task_key, w.priority,
             :schema.prepare_arguments(w.type_key, w.task_key, :schema.workflow_resolve(w.args, w.params, w.results)) as args
        from wanted w
    ), inserted as (
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, job_key, workflow_run_id)
      select p.type_key, p.task_key, p.priority, p.args, t.process_units, t.max_attempts, now(),
             format('workflow:%s:%s', p.run_id, p.step_id), p.run_id
        from prepared p
        join :schema.tasks t on t.type_key = p.type_key and t.task_key = p.task_key
       -- A step cannot fan out (workflow_start_step says why).
       where not exists (select 1 from jsonb_each(p.args) a where a.key = any (t.write_all) and a.value = '"ALL"'::jsonb)
      on conflict (type_key, task_key, job_key) where job_key is not null and status in ('waiting', 'running') do nothing
      returning id, workflow_run_id, job_key
    ), started as (
      update :schema.workflow_run_steps s set status = 'started', job_id = i.id, message = null
        from inserted i
       where s.run_id = i.workflow_run_id and i.job_key = format('workflow:%s:%s', s.run_id, s.step_id)
      returning 1
    )
    select count(*) into v_count from started;
    if v_count < cardinality(p_step_ids) then
      raise exception using errcode = 'JM002', message = 'a step could not start in the set';
    end if;
    perform pg_notify(:channel_literal, '');
    return null;
  exception when others then
    -- Undone: start each step alone, so each failure is named.
    null;
  end;
  for v_step in select u.run_id, u.step_id from unnest(p_run_ids, p_step_ids) with ordinality u(run_id, step_id, ord) order by u.ord loop
    -- A run that failed on an earlier step has skipped the rest.
    continue when v_step.run_id = any (coalesce(v_failed, '{}'));
    if :schema.workflow_start_step(v_step.run_id, v_step.step_id) is null then
      v_failed := v_failed || v_step.run_id;
    end if;
  end loop;
  return v_failed;
end;
$$;
