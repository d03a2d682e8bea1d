-- Advances workflow runs after some of their step jobs completed, in the transaction that
-- completed them (called by complete_jobs only when a completed job has a workflow_run_id):
-- each step becomes complete with its job's result; in a running run, each dependent whose
-- requirements are now all complete starts (workflow_start_step), and the run completes when
-- every step has. In a run that already failed or was cancelled the step is recorded and
-- nothing starts. Each run row is locked first (in id order), so two steps of one run
-- completing at once advance it one after the other and a fan-in starts exactly once.
-- Param: ids of completed jobs that are workflow steps. Returns nothing.
create or replace function :schema.workflow_steps_completed(p_job_ids bigint[])
returns void
language plpgsql volatile
as $$
declare
  v_run    record;
  v_step   record;
  v_next   record;
  v_status text;
begin
  for v_run in
    select r.id, r.status from :schema.workflow_runs r
     where r.id in (select j.workflow_run_id from :schema.jobs j where j.id = any (p_job_ids))
     order by r.id
       for update
  loop
    v_status := v_run.status;
    for v_step in
      update :schema.workflow_run_steps s
         set status = 'complete', result = j.result, message = null
        from :schema.jobs j
       where j.id = any (p_job_ids) and s.job_id = j.id and s.run_id = v_run.id and s.status = 'started'
      returning s.step_id
    loop
      continue when v_status <> 'running';
      for v_next in
        update :schema.workflow_run_steps s set pending = s.pending - 1
         where s.run_id = v_run.id and s.status = 'pending' and v_step.step_id = any (s.requires)
        returning s.step_id, s.pending
      loop
        if v_next.pending = 0 and v_status = 'running'
           and :schema.workflow_start_step(v_run.id, v_next.step_id) is null then
          v_status := 'failed'; -- the step could not start, so the run failed
        end if;
      end loop;
    end loop;
    if v_status = 'running'
       and not exists (select 1 from :schema.workflow_run_steps s where s.run_id = v_run.id and s.status <> 'complete') then
      update :schema.workflow_runs r set status = 'complete', finished_at = now(), message = null where r.id = v_run.id;
    end if;
  end loop;
end;
$$;
