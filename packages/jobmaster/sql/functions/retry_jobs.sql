-- Puts failed or cancelled jobs back on the queue as if new: attempts reset (so retries
-- apply again), due now, error and result cleared, with a history row; idle workers are woken.
-- A retry is blocked by an active twin, since only one may be active: the job now holding its
-- key, or an identical unkeyed job, found through the index that blocked it (the identity or
-- the job key), not among the task's waiting and running jobs.
-- Params: the job ids; the node and process id of whoever retries (for the history).
-- Raises SQLSTATE JM003 (detail: the id) and changes nothing when an id does not exist.
-- Returns one row per id given: outcome is 'retried', 'duplicate' (twin_id says which job),
-- 'not_retryable' (waiting, running or complete: status says which) or 'not_found' (deleted
-- meanwhile).
create or replace function :schema.retry_jobs(p_ids bigint[], p_node text, p_pid integer)
returns table (id bigint, status text, outcome text, twin_id bigint)
language plpgsql volatile
as $$
declare
  v_job   record;
  v_twin  bigint;
  v_any   boolean := false;
begin
  perform :schema.require_jobs(p_ids);
  for v_job in
    select g.id as given, j.id, j.status, j.type_key, j.task_key, j.job_key, j.identity_hash
      from (select distinct u.id from unnest(p_ids) u(id)) g
      left join :schema.jobs j on j.id = g.id
     order by g.id
  loop
    id := v_job.given;
    status := v_job.status;
    twin_id := null;
    if v_job.id is null then
      outcome := 'not_found';
    elsif v_job.status not in ('failed', 'cancelled') then
      outcome := 'not_retryable';
    else
      begin
        update :schema.jobs j
           set status = 'waiting', attempts = 0, run_at = now(), started_at = null, finished_at = null,
               lease_expires_at = null, worker_id = null, waiting_for = null, dependency_requeues = 0,
               result = null, error = null, cancel_requested = false, message = 'retried by an operator'
         where j.id = v_job.id and j.status in ('failed', 'cancelled');
        if found then
          insert into :schema.job_events (job_id, status, node, pid, message)
          values (v_job.id, 'waiting', p_node, p_pid, 'retried by an operator');
          outcome := 'retried';
          status := 'waiting';
          v_any := true;
        else
          -- Changed by someone else since it was read above.
          select j.status into status from :schema.jobs j where j.id = v_job.id;
          outcome := case when status is null then 'not_found' else 'not_retryable' end;
        end if;
      exception when unique_violation then
        if v_job.job_key is not null then
          select t.id into v_twin from :schema.jobs t
           where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.job_key = v_job.job_key
             and t.status in ('waiting', 'running');
        else
          select t.id into v_twin from :schema.jobs t
           where t.identity_hash = v_job.identity_hash and t.status in ('waiting', 'running')
             and t.job_key is null and t.schedule_name is null;
        end if;
        outcome := 'duplicate';
        twin_id := v_twin;
      end;
    end if;
    return next;
  end loop;
  if v_any then
    perform pg_notify(:channel_literal, '');
  end if;
end;
$$;
