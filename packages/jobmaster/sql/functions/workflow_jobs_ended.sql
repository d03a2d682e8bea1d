-- Records workflow steps whose jobs ended without completing (failed for good, or
-- cancelled): the step takes its job's status and message, and a running run fails (naming
-- the step), its steps not yet started skipped; running steps finish. Called by
-- fail_dependents, which every path that ends a job this way goes through (fail_jobs,
-- cancel_jobs, cancel_running_jobs, release_jobs, recover_expired_leases, claim_jobs); costs
-- one lookup by primary key when none of the jobs is a step.
-- Param: ids of jobs that just failed or were cancelled. Returns nothing.
-- Planned with the planner's defaults (the set clauses): fail_dependents (from fail_jobs, claim_jobs and the rest) turns nested loops,
-- merge joins or sequential scans off for its own statements, and a called function inherits
-- that; these joins of a batch against runs and steps then hashed whole tables.
create or replace function :schema.workflow_jobs_ended(p_job_ids bigint[])
returns void
language plpgsql volatile
set enable_nestloop = on
set enable_mergejoin = on
set enable_seqscan = on
set enable_sort = on
set plan_cache_mode = auto
as $$
declare
  v_step record;
begin
  if not exists (select 1 from :schema.jobs j where j.id = any (p_job_ids) and j.workflow_run_id is not null) then
    return;
  end if;
  for v_step in
    select s.run_id, s.step_id, j.status, j.message
      from :schema.jobs j
      join :schema.workflow_run_steps s on s.job_id = j.id and s.run_id = j.workflow_run_id
     where j.id = any (p_job_ids) and j.workflow_run_id is not null and j.status in ('failed', 'cancelled')
       and s.status = 'started'
     order by s.run_id
  loop
    perform 1 from :schema.workflow_runs r where r.id = v_step.run_id for update;
    update :schema.workflow_run_steps s set status = v_step.status, message = v_step.message
     where s.run_id = v_step.run_id and s.step_id = v_step.step_id;
    perform :schema.workflow_fail_run(v_step.run_id, 'failed',
      format('step "%s" %s: %s', v_step.step_id, v_step.status, coalesce(v_step.message, 'no message')));
  end loop;
end;
$$;
