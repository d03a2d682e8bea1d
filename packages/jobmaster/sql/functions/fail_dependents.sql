-- Fails every waiting job that waits on one of p_ids, and their dependents in turn, naming
-- the dependency that failed. Workflow steps among the ended jobs fail their runs
-- (workflow_jobs_ended). Each job it fails is recorded as a final alert (job_alerts, cause
-- 'dependency') in the statement that fails it. Returns how many jobs it failed.
create or replace function :schema.fail_dependents(p_ids bigint[], p_node text, p_pid integer)
returns integer
language plpgsql volatile
as $$
declare
  v_failed  bigint[];
  v_total   integer := 0;
begin
  -- Workflows: every path that ends a job without completing it comes here; a step's run fails.
  perform :schema.workflow_jobs_ended(p_ids);
  loop
    with failed as (
      update :schema.jobs j
         set status = 'failed', finished_at = now(),
             message = format('dependency %s.%s #%s did not complete (%s)', d.type_key, d.task_key, d.id, d.status)
        from :schema.jobs d
       where j.status = 'waiting' and j.waiting_for && p_ids and d.id = any (p_ids) and d.id = any (j.waiting_for)
      returning j.id, j.message, j.type_key, j.task_key, j.attempts, j.max_attempts, j.node
    ), alerts as (
      insert into :schema.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
      select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'dependency', f.message, f.node from failed f
    )
    select array_agg(distinct id) into v_failed from failed;
    exit when v_failed is null;
    insert into :schema.job_events (job_id, status, node, pid, message)
    select id, 'failed', p_node, p_pid, message from :schema.jobs where id = any (v_failed);
    v_total := v_total + cardinality(v_failed);
    perform :schema.workflow_jobs_ended(v_failed);
    p_ids := v_failed;
  end loop;
  return v_total;
end;
$$;
