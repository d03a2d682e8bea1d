-- Advances workflow runs after some of their step jobs completed, in the transaction that
-- completed them (called by complete_jobs only when a completed job has a workflow_run_id):
-- each step becomes complete with its job's result; in a running run, each dependent whose
-- requirements are now all complete starts (workflow_start_step), and the run completes when
-- every step has. In a run that already failed or was cancelled the step is recorded and
-- nothing starts. Each run row is locked first (in id order), so two steps of one run
-- completing at once advance it one after the other and a fan-in starts exactly once.
-- Set-based over the batch: the steps of every run are marked complete, their dependents
-- counted down and the ready ones started (workflow_start_steps) a statement at a time for all
-- runs (a statement per run joined the whole batch each time: 1,000 runs' steps took 0.77 s).
-- Runs and steps are reached by primary key: a status test is written `(... ) is true` so
-- that, with statistics of a table just filled, the planner does not read every running run
-- through workflow_runs_by_workflow instead (a batch then cost as much as all runs).
-- Param: ids of completed jobs that are workflow steps. Returns nothing.
-- Planned with the planner's defaults (the set clauses): complete_jobs turns nested loops,
-- merge joins or sequential scans off for its own statements, and a called function inherits
-- that; these joins of a batch against runs and steps then hashed whole tables.
create or replace function :schema.workflow_steps_completed(p_job_ids bigint[])
returns void
language plpgsql volatile
set enable_nestloop = on
set enable_mergejoin = on
set enable_seqscan = on
set enable_sort = on
set plan_cache_mode = auto
as $$
declare
  v_run_ids     bigint[];
  v_step_ids    text[];
  v_ready_runs  bigint[];
  v_ready_steps text[];
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
  -- In running runs, each dependent waits for as many fewer requirements as it has among the
  -- steps just completed. Those left waiting for none start (workflow_start_steps sets their
  -- count to 0 as it marks them started), so their rows are written once, not twice: the run
  -- lock taken above keeps every other advance of the run out meanwhile.
  with done as (
    select u.run_id, array_agg(u.step_id) as steps
      from unnest(v_run_ids, v_step_ids) u(run_id, step_id)
      join :schema.workflow_runs r on r.id = u.run_id and (r.status = 'running') is true
     group by u.run_id
  ), counted as materialized (
    select s.run_id, s.step_id, s.position, s.pending - (select count(*) from unnest(s.requires) q where q = any (d.steps)) as pending
      from done d
      join :schema.workflow_run_steps s on s.run_id = d.run_id
     where s.status = 'pending' and s.requires && d.steps
  ), waiting as (
    update :schema.workflow_run_steps s set pending = c.pending
      from counted c
     where c.pending > 0 and s.run_id = c.run_id and s.step_id = c.step_id
  )
  select array_agg(c.run_id order by c.run_id, c.position), array_agg(c.step_id order by c.run_id, c.position)
    into v_ready_runs, v_ready_steps
    from counted c where c.pending = 0;
  if v_ready_runs is not null then
    perform :schema.workflow_start_steps(v_ready_runs, v_ready_steps);
  end if;
  -- Runs still running whose every step is complete are complete.
  update :schema.workflow_runs r set status = 'complete', finished_at = now(), message = null
   where r.id = any (v_run_ids) and (r.status = 'running') is true
     and not exists (select 1 from :schema.workflow_run_steps s where s.run_id = r.id and s.status <> 'complete');
end;
$$;
