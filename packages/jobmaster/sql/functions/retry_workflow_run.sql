-- Runs a failed or cancelled workflow run again from where it stopped: its failed, cancelled
-- and skipped steps wait again and every step whose requirements are complete starts, while
-- completed steps keep their results (their dependents read them as before). With a step id,
-- that step and every step downstream of it run again too, even if complete (a complete run
-- can be retried this way). Each step's earlier job ids are kept in past_job_ids.
-- Params: run id; step id (null = failed, cancelled and skipped steps only).
-- Raises JM009 when the run does not exist, JM002 when it is running (or complete, without a
-- step) or the step is not one of the run's. Returns the step ids set to run again.
create or replace function :schema.retry_workflow_run(p_run_id bigint, p_from_step text default null)
returns setof text
language plpgsql volatile
as $$
declare
  v_status text;
  v_rerun  text[];
  v_added  text[];
  v_step   record;
begin
  select r.status into v_status from :schema.workflow_runs r where r.id = p_run_id for update;
  if not found then
    raise exception using errcode = 'JM009', message = format('No workflow run %s exists', p_run_id), detail = p_run_id::text;
  end if;
  if v_status = 'running' or (v_status = 'complete' and p_from_step is null) then
    raise exception using errcode = 'JM002',
      message = format('workflow run %s is %s: only a failed or cancelled run can be retried%s', p_run_id, v_status,
                       case when v_status = 'complete' then ' (or give a step to rerun it and what follows)' else '' end);
  end if;
  if p_from_step is not null then
    if not exists (select 1 from :schema.workflow_run_steps s where s.run_id = p_run_id and s.step_id = p_from_step) then
      raise exception using errcode = 'JM002', message = format('workflow run %s has no step %s', p_run_id, to_jsonb(p_from_step)::text);
    end if;
    -- The step and everything downstream of it.
    v_rerun := array[p_from_step];
    loop
      select array_agg(s.step_id) into v_added from :schema.workflow_run_steps s
       where s.run_id = p_run_id and s.requires && v_rerun and not s.step_id = any (v_rerun);
      exit when v_added is null;
      v_rerun := v_rerun || v_added;
    end loop;
  end if;
  -- A step to rerun whose job has not ended would meet that job's key: refuse until it ends.
  select s.step_id, s.job_id into v_step
    from :schema.workflow_run_steps s join :schema.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and s.status = 'started' and j.status in ('waiting', 'running')
     and s.step_id = any (coalesce(v_rerun, '{}'))
   order by s.position limit 1;
  if found then
    raise exception using errcode = 'JM002',
      message = format('workflow run %s: step %s is still running (job %s); rerun it when it has ended, or cancel the run first',
                       p_run_id, to_jsonb(v_step.step_id)::text, v_step.job_id);
  end if;
  update :schema.workflow_run_steps s
     set status = 'pending', past_job_ids = case when s.job_id is null then s.past_job_ids else s.past_job_ids || s.job_id end,
         job_id = null, result = null, message = null
   where s.run_id = p_run_id and (s.status in ('failed', 'cancelled', 'skipped') or s.step_id = any (coalesce(v_rerun, '{}')));
  update :schema.workflow_run_steps s
     set pending = (select count(*) from :schema.workflow_run_steps d
                     where d.run_id = p_run_id and d.step_id = any (s.requires) and d.status <> 'complete')
   where s.run_id = p_run_id and s.status = 'pending';
  update :schema.workflow_runs r set status = 'running', finished_at = null, message = 'retried'
   where r.id = p_run_id;
  return query select s.step_id from :schema.workflow_run_steps s where s.run_id = p_run_id and s.status = 'pending' order by s.position;
  for v_step in
    select s.step_id from :schema.workflow_run_steps s where s.run_id = p_run_id and s.status = 'pending' and s.pending = 0 order by s.position
  loop
    exit when :schema.workflow_start_step(p_run_id, v_step.step_id) is null;
  end loop;
end;
$$;
