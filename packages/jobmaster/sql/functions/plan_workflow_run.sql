-- A dry run of start_workflow_run: the run and steps it would create now, written nowhere.
--   select jobmaster.plan_workflow_run('nightly', '{"day": "2026-12-01"}');
-- Runs the real start_workflow_run, and the claim's dependency check for the jobs of the steps
-- it starts (plan_dependencies), inside a subtransaction that is rolled back; a start that
-- would be refused raises the same error (JM002, JM008, JM010).
-- Params: as start_workflow_run's (name, parameters, run key, conflict mode).
-- Returns {"outcome": as start_workflow_run's, "run_id" (set only when the start meets a run
-- that exists: 'existing'), "params": the parameters with defaults filled in, "steps": [{"step",
-- "task", "requires", "priority", "status" ('started': its job goes on the queue now;
-- 'pending': it starts when the steps it requires complete; 'failed': it could not start),
-- "arguments" (a started step's, resolved, with the task's defaults; a pending step's as
-- written, references resolved when it starts), "process_units", "message"}],
-- "dependencies": plan_dependencies' list for the started steps' jobs, settled}.
create or replace function :schema.plan_workflow_run(
  p_name text, p_params jsonb default '{}', p_run_key text default null, p_on_conflict text default 'raise')
returns jsonb
language plpgsql volatile
as $$
declare
  v_run     bigint;
  v_outcome text;
  v_params  jsonb;
  v_steps   jsonb;
  v_ids     bigint[];
  v_refs    text[];
  v_deps    jsonb;
begin
  begin
    select s.run_id, s.outcome into v_run, v_outcome from :schema.start_workflow_run(p_name, p_params, p_run_key, p_on_conflict) s;
    select r.params into v_params from :schema.workflow_runs r where r.id = v_run;
    if v_outcome <> 'existing' then
      select coalesce(jsonb_agg(jsonb_build_object(
               'step', s.step_id, 'task', s.type_key || '.' || s.task_key, 'requires', to_jsonb(s.requires),
               'priority', coalesce(j.priority, s.priority), 'status', s.status,
               'arguments', coalesce(j.arguments, s.args), 'process_units', coalesce(j.process_units, t.process_units),
               'message', s.message) order by s.position), '[]'),
             array_agg(s.job_id order by s.position) filter (where s.job_id is not null),
             array_agg('step ' || s.step_id order by s.position) filter (where s.job_id is not null)
        into v_steps, v_ids, v_refs
        from :schema.workflow_run_steps s
        left join :schema.jobs j on j.id = s.job_id
        left join :schema.tasks t on t.type_key = s.type_key and t.task_key = s.task_key
       where s.run_id = v_run;
      if v_ids is not null then
        v_deps := :schema.plan_dependencies(v_ids, v_refs);
      end if;
    end if;
    raise exception using errcode = 'JMRBK';
  exception when sqlstate 'JMRBK' then
    null;
  end;
  return jsonb_build_object('outcome', v_outcome, 'workflow', p_name,
                            'run_id', case when v_outcome = 'existing' then v_run::text end,
                            'params', v_params, 'steps', coalesce(v_steps, '[]'),
                            'dependencies', :schema.settle_plan(v_deps));
end;
$$;
