-- Starts one step of a running workflow run: resolves its arguments' references against the
-- run's parameters and its completed steps' results, and puts its job on the queue through
-- enqueue (so validation, priority, units, retries and the task's own dependencies apply),
-- with the job key "workflow:<run>:<step>" so it is never merged with an identical job
-- outside the run, and the run's trace context, and links the job to the run. A step whose arguments cannot be resolved or
-- break the task's rules fails, with a message naming the step, the parameter and the step it
-- came from; the run then fails and its steps not yet started are skipped. A step cannot fan
-- out: "ALL" for a write-all parameter fails it.
-- Params: run id, step id. Returns the job id, or null when the step failed.
create or replace function :schema.workflow_start_step(p_run_id bigint, p_step_id text)
returns bigint
language plpgsql volatile
as $$
declare
  v_step    :schema.workflow_run_steps;
  v_params  jsonb;
  v_trace   jsonb;
  v_results jsonb;
  v_args    jsonb;
  v_job     bigint;
  v_param   text;
  v_from    text;
  v_message text;
begin
  select * into v_step from :schema.workflow_run_steps s where s.run_id = p_run_id and s.step_id = p_step_id;
  select r.params, r.trace_context into v_params, v_trace from :schema.workflow_runs r where r.id = p_run_id;
  select coalesce(jsonb_object_agg(s.step_id, coalesce(s.result, 'null'::jsonb)), '{}') into v_results
    from :schema.workflow_run_steps s where s.run_id = p_run_id and s.status = 'complete';
  begin
    v_args := :schema.workflow_resolve(v_step.args, v_params, v_results);
    -- A fan-out job completes when it has spawned its children, so its run would go on without
    -- them (the same words as validate-workflows.ts, for "ALL" given by a parameter or result).
    select a.key into v_param
      from :schema.tasks t, jsonb_each(v_args) a
     where t.type_key = v_step.type_key and t.task_key = v_step.task_key
       and a.key = any (t.write_all) and a.value = '"ALL"'::jsonb
     limit 1;
    if v_param is not null then
      raise exception using errcode = 'JM002',
        message = format('%s.%s: parameter "%s" is "ALL": a workflow step cannot fan out (its run would not wait for the fanned-out jobs); declare a step for each value',
                         v_step.type_key, v_step.task_key, v_param);
    end if;
    select e.job_id into v_job
      from :schema.enqueue(v_step.type_key, v_step.task_key, v_step.priority, v_args, null, null,
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
    update :schema.workflow_run_steps s set status = 'failed', message = v_message
     where s.run_id = p_run_id and s.step_id = p_step_id;
    perform :schema.workflow_fail_run(p_run_id, 'failed', v_message);
    return null;
  end;
  update :schema.jobs j set workflow_run_id = p_run_id where j.id = v_job;
  update :schema.workflow_run_steps s set status = 'started', job_id = v_job, pending = 0, message = null
   where s.run_id = p_run_id and s.step_id = p_step_id;
  return v_job;
end;
$$;
