-- Advances workflow runs after some of their step jobs completed, in the transaction that
-- completed them (called by complete_jobs only when a completed job has a workflow_run_id):
-- each step becomes complete with its job's result; in a running run, each dependent whose
-- requirements are now all complete starts (workflow_start_step), and the run completes when
-- every step has. In a run that already failed or was cancelled the step is recorded and
-- nothing starts. Each run row is locked first (in id order), so two steps of one run
-- completing at once advance it one after the other and a fan-in starts exactly once.
-- Set-based over the batch: the steps of every run are marked complete in one statement
-- through their jobs' ids (a statement per run joined the whole batch each time: 1,000 runs'
-- steps took 0.77 s instead of a few ms).
-- Param: ids of completed jobs that are workflow steps. Returns nothing.
create or replace function :schema.workflow_steps_completed(p_job_ids bigint[])
returns void
language plpgsql volatile
as $$
declare
  v_run_ids  bigint[];
  v_step_ids text[];
  v_run      record;
  v_next     record;
  v_status   text;
begin
  perform 1 from :schema.workflow_runs r
   where r.id in (select j.workflow_run_id from :schema.jobs j where j.id = any (p_job_ids))
   order by r.id
     for update;
  with done as (
    update :schema.workflow_run_steps s
       set status = 'complete', result = j.result, message = null
      from :schema.jobs j
     where j.id = any (p_job_ids) and s.run_id = j.workflow_run_id and s.job_id = j.id and s.status = 'started'
    returning s.run_id, s.step_id
  )
  select array_agg(d.run_id), array_agg(d.step_id) into v_run_ids, v_step_ids from done d;
  if v_run_ids is null then
    return;
  end if;
  for v_run in
    select r.id, r.status, array_agg(u.step_id) as steps
      from unnest(v_run_ids, v_step_ids) u(run_id, step_id)
      join :schema.workflow_runs r on r.id = u.run_id
     group by r.id, r.status
     order by r.id
  loop
    v_status := v_run.status;
    continue when v_status <> 'running';
    -- Each dependent waits for as many fewer requirements as it has among the steps completed.
    for v_next in
      update :schema.workflow_run_steps s
         set pending = s.pending - (select count(*) from unnest(s.requires) q where q = any (v_run.steps))
       where s.run_id = v_run.id and s.status = 'pending' and s.requires && v_run.steps
      returning s.step_id, s.pending
    loop
      if v_next.pending = 0 and v_status = 'running'
         and :schema.workflow_start_step(v_run.id, v_next.step_id) is null then
        v_status := 'failed'; -- the step could not start, so the run failed
      end if;
    end loop;
    if v_status = 'running'
       and not exists (select 1 from :schema.workflow_run_steps s where s.run_id = v_run.id and s.status <> 'complete') then
      update :schema.workflow_runs r set status = 'complete', finished_at = now(), message = null where r.id = v_run.id;
    end if;
  end loop;
end;
$$;
