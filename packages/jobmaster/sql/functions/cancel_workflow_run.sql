-- Cancels a running workflow run: the run becomes cancelled, its steps not yet started are
-- skipped, and its started steps' jobs are cancelled through cancel_jobs (a waiting job at
-- once, a running one is signalled and ends as cancelled when its worker stops it).
-- Params: run id; node and process id of whoever cancels (for the jobs' history).
-- Raises SQLSTATE JM009 when the run does not exist. Returns the run's status afterwards and
-- whether this call cancelled it (false: it had already ended).
create or replace function :schema.cancel_workflow_run(p_run_id bigint, p_node text, p_pid integer,
  out status text, out cancelled boolean)
language plpgsql volatile
as $$
declare
  v_jobs bigint[];
begin
  -- The run's unfinished jobs are locked before the run, as a completion locks its jobs before
  -- their run (complete_jobs, then workflow_steps_completed): the other order could deadlock.
  perform 1 from :schema.workflow_run_steps s join :schema.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and j.status in ('waiting', 'running') order by j.id for update of j;
  perform 1 from :schema.workflow_runs r where r.id = p_run_id for update;
  if not found then
    raise exception using errcode = 'JM009', message = format('No workflow run %s exists', p_run_id), detail = p_run_id::text;
  end if;
  cancelled := :schema.workflow_fail_run(p_run_id, 'cancelled', 'cancelled by an operator');
  select array_agg(s.job_id order by s.job_id) into v_jobs
    from :schema.workflow_run_steps s join :schema.jobs j on j.id = s.job_id
   where s.run_id = p_run_id and s.status = 'started' and j.status in ('waiting', 'running');
  if v_jobs is not null then
    perform :schema.cancel_jobs(v_jobs, p_node, p_pid);
  end if;
  select r.status into status from :schema.workflow_runs r where r.id = p_run_id;
end;
$$;
