-- JobMaster schema, version 3: what operators do by hand (`jm cancel`, `jm retry`,
-- `jm prune`) and the indexes `jm status` reads through.
-- Placeholders as in 0001.

-- Recent failures, newest first, without reading every finished job.
create index jobs_failed_recent on :schema.jobs (finished_at desc) where status = 'failed';
-- `--since` windows over finished jobs, answered from the index alone.
create index jobs_finished_window on :schema.jobs (finished_at) include (type_key, task_key, status)
  where finished_at is not null;

-- Raises SQLSTATE JM003 (detail: the id) naming the first of p_ids that is not a job, so an
-- operation on several ids changes nothing when one of them does not exist.
create function :schema.require_jobs(p_ids bigint[])
returns void
language plpgsql stable
as $$
declare
  v_missing bigint;
begin
  select min(u.id) into v_missing from unnest(p_ids) u(id)
   where not exists (select 1 from :schema.jobs m where m.id = u.id);
  if v_missing is not null then
    raise exception using errcode = 'JM003', message = format('No job with id %s', v_missing), detail = v_missing::text;
  end if;
end;
$$;

-- Cancels jobs. A waiting job becomes cancelled at once (with a history row), and the jobs
-- waiting on it fail, naming it. A running job gets cancel_requested: its worker's heartbeat
-- sees it, aborts the job and records it as cancelled. Finished jobs are left alone.
-- Params: the job ids; the node and process id of whoever cancels (for the history).
-- Raises SQLSTATE JM003 (detail: the id) and changes nothing when an id does not exist.
-- Returns one row per id given: outcome is 'cancelled', 'cancel_requested' or 'finished'
-- (already complete, failed or cancelled: status says which).
create function :schema.cancel_jobs(p_ids bigint[], p_node text, p_pid integer)
returns table (id bigint, status text, outcome text)
language plpgsql volatile
as $$
declare
  v_cancelled bigint[];
begin
  perform :schema.require_jobs(p_ids);
  -- Lock first: a worker claiming one of these jobs either finished claiming (we see running)
  -- or has not started (it skips the locked row).
  perform 1 from :schema.jobs j where j.id = any (p_ids) order by j.id for update;

  with cancelled as (
    update :schema.jobs j
       set status = 'cancelled', finished_at = now(), message = 'cancelled by an operator',
           waiting_for = null, lease_expires_at = null, worker_id = null
     where j.id = any (p_ids) and j.status = 'waiting'
    returning j.id
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select c.id, 'cancelled', p_node, p_pid, 'cancelled by an operator' from cancelled c
  )
  select array_agg(c.id) into v_cancelled from cancelled c;

  update :schema.jobs j set cancel_requested = true
   where j.id = any (p_ids) and j.status = 'running' and not j.cancel_requested;

  if v_cancelled is not null then
    perform :schema.fail_dependents(v_cancelled, p_node, p_pid);
  end if;

  return query
    select g.id, j.status,
           case when j.id = any (coalesce(v_cancelled, '{}')) then 'cancelled'
                when j.status = 'running' then 'cancel_requested'
                else 'finished' end
      from (select distinct u.id from unnest(p_ids) u(id)) g
      join :schema.jobs j on j.id = g.id
     order by g.id;
end;
$$;

-- Puts failed or cancelled jobs back on the queue as if new: attempts reset (so retries
-- apply again), due now, error and result cleared, with a history row; idle workers are woken.
-- A job whose identical twin (same task and arguments) is already waiting or running is not
-- retried, since only one may be active: that twin's id is returned instead.
-- Params: the job ids; the node and process id of whoever retries (for the history).
-- Raises SQLSTATE JM003 (detail: the id) and changes nothing when an id does not exist.
-- A retry is blocked by an active twin: the job now holding its key, or an identical unkeyed
-- job. Returns one row per id given: outcome is 'retried', 'duplicate' (twin_id says which job),
-- 'not_retryable' (waiting, running or complete: status says which) or 'not_found' (deleted
-- meanwhile).
create function :schema.retry_jobs(p_ids bigint[], p_node text, p_pid integer)
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
    select g.id as given, j.id, j.status, j.type_key, j.task_key, j.arguments, j.job_key, j.schedule_name
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
        select t.id into v_twin from :schema.jobs t
         where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.status in ('waiting', 'running')
           and case when v_job.job_key is not null then t.job_key = v_job.job_key
                    else t.job_key is null and t.schedule_name is null and md5(t.arguments::text) = md5(v_job.arguments::text) end
         limit 1;
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

-- Deletes finished jobs (complete, failed, cancelled) that finished more than p_older_than
-- ago, with their history. Never touches a waiting or running job. Jobs they spawned keep
-- running and lose only the link (spawned_by becomes null).
-- Params: the age; optionally one task (type key and task key, both or neither).
-- Returns one row per status with how many jobs were deleted.
create function :schema.prune_jobs(p_older_than interval, p_type_key text default null, p_task_key text default null)
returns table (status text, deleted bigint)
language sql volatile
as $$
  with gone as (
    delete from :schema.jobs j
     where j.status in ('complete', 'failed', 'cancelled')
       and j.finished_at < now() - p_older_than
       and (p_type_key is null or (j.type_key = p_type_key and j.task_key = p_task_key))
    returning j.status
  )
  select g.status, count(*) from gone g group by g.status order by g.status;
$$;
