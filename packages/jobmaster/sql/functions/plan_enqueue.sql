-- A dry run of enqueue: what it would do now, written nowhere.
--   select jobmaster.plan_enqueue('nice_tasks', 'baz', 0, '{"file_path": "/tmp/x"}');
-- Runs the real enqueue, then what the claim would do with the job (fan_out for "ALL"
-- arguments, unmet_dependencies for each job to run, recursively through plan_dependencies),
-- inside a subtransaction that is rolled back; so the plan follows the same rules, and a
-- request enqueue refuses raises the same error (JM001, JM002, JM004).
-- Params: as enqueue's (type key, task key, priority, arguments, run_at, job key, conflict mode).
-- Returns {"outcome": as enqueue's, "job": the job as it would be (defaults filled in) or as
-- it is when the enqueue would meet it ("job_id" set, with its "status"), "key_holder": null or
-- the waiting or running job holding the job key now {"job_id", "status", "job_key"}, "fan_out": null or
-- {"parameters", "total", "new", "combinations": [arguments of each new job]},
-- "dependencies": plan_dependencies' list, settled (settle_plan)}.
create or replace function :schema.plan_enqueue(
  p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb,
  p_run_at timestamptz default null, p_job_key text default null, p_on_conflict text default 'raise')
returns jsonb
language plpgsql volatile
as $$
declare
  v_result  jsonb;
  v_id      bigint;
  v_outcome text;
  v_job     :schema.jobs;
  v_write   text[];
  v_fan     jsonb;
  v_roots   bigint[];
  v_refs    text[];
  v_deps    jsonb;
  v_holder  jsonb;
begin
  if p_job_key is not null then
    select jsonb_build_object('job_id', j.id::text, 'status', j.status, 'job_key', j.job_key) into v_holder
      from :schema.jobs j
     where j.type_key = p_type_key and j.task_key = p_task_key and j.job_key = p_job_key and j.status in ('waiting', 'running');
  end if;
  begin
    select e.job_id, e.outcome into v_id, v_outcome
      from :schema.enqueue(p_type_key, p_task_key, p_priority, p_arguments, p_run_at, null, p_job_key, p_on_conflict) e;
    select * into v_job from :schema.jobs j where j.id = v_id;
    select t.write_all into v_write from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
    -- A job that is already there is what it is: the plan shows it, and what happens to it is
    -- for `jm explain`.
    if v_outcome in ('inserted', 'superseded', 'replaced') and v_job.status = 'waiting' then
      v_roots := array[v_id];
      v_refs := array['job'];
      if cardinality(v_write) > 0 and exists (select 1 from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb) then
        v_fan := :schema.fan_out(v_id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_write);
        select coalesce(array_agg(c.id order by c.id), '{}'),
               coalesce(array_agg('combination ' || row_number order by c.id), '{}'),
               v_fan || jsonb_build_object('parameters', (select jsonb_agg(w) from unnest(v_write) w where v_job.arguments -> w = '"ALL"'::jsonb),
                                           'combinations', coalesce(jsonb_agg(c.arguments order by c.id), '[]'))
          into v_roots, v_refs, v_fan
          from (select j.id, j.arguments, row_number() over (order by j.id)
                  from :schema.jobs j where j.spawned_by = v_id) c;
      end if;
      v_deps := :schema.plan_dependencies(v_roots, v_refs);
    end if;
    raise exception using errcode = 'JMRBK';
  exception when sqlstate 'JMRBK' then
    null;
  end;
  v_result := jsonb_build_object(
    'outcome', v_outcome,
    'job', jsonb_build_object('task', v_job.type_key || '.' || v_job.task_key, 'type_key', v_job.type_key, 'task_key', v_job.task_key,
                              'arguments', v_job.arguments, 'priority', v_job.priority, 'process_units', v_job.process_units,
                              'max_attempts', v_job.max_attempts, 'run_at', v_job.run_at, 'job_key', v_job.job_key)
           || case when v_outcome = 'inserted' or v_outcome = 'superseded' then '{}'::jsonb
                   else jsonb_build_object('job_id', v_id::text,
                                           'status', (select j.status from :schema.jobs j where j.id = v_id)) end,
    'key_holder', v_holder,
    'fan_out', case when v_fan is null then null
                    else jsonb_build_object('parameters', v_fan -> 'parameters', 'total', (v_fan ->> 'total')::integer,
                                            'new', (v_fan ->> 'inserted')::integer, 'combinations', v_fan -> 'combinations') end,
    'dependencies', :schema.settle_plan(v_deps));
  return v_result;
end;
$$;
