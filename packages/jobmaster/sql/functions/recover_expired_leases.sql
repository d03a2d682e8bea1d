-- Returns jobs whose worker stopped renewing its lease to waiting (the lost run counts as an
-- attempt; a job the worker held ahead and never started used none), fails them when no
-- attempts are left, or cancels them when a cancel was
-- requested; dependents of jobs that ended fail. Each lost job's start is recorded in the
-- history first. A lost attempt that was not cancelled is recorded as an alert (job_alerts,
-- cause 'lease'; final when no attempts are left), so a worker killed mid-job still alerts.
-- Returns how many it recovered. Called by claim_jobs when a lease lapsed.
create or replace function :schema.recover_expired_leases()
returns integer
language plpgsql volatile
set jit = off
as $$
declare
  v_expired bigint[];
  v_retry   bigint[];
  v_ended   bigint[];
begin
  select array_agg(j.id) into v_expired
    from (select j.id from :schema.jobs j
           where j.status = 'running' and j.lease_expires_at < now()
             for update skip locked) j;
  if v_expired is null then
    return 0;
  end if;
  perform :schema.record_starts(v_expired, null);
  -- A job someone asked to cancel ends as cancelled rather than running again.
  with recovered as (
    update :schema.jobs j
       set status = case when j.cancel_requested then 'cancelled'
                         when j.started_at is not null and j.attempts >= j.max_attempts then 'failed'
                         else 'waiting' end,
           finished_at = case when j.cancel_requested or (j.started_at is not null and j.attempts >= j.max_attempts) then now() end,
           lease_expires_at = null, worker_id = null,
           message = case when j.started_at is null
                          then format('worker %s on node %s stopped renewing its lease before starting the job (held ahead); back to the queue without using an attempt%s',
                                      coalesce(j.worker_id, '?'), coalesce(j.node, '?'),
                                      case when j.cancel_requested then '; cancelled as requested' else '' end)
                          else format('worker %s on node %s stopped renewing its lease (attempt %s of %s)%s',
                                      coalesce(j.worker_id, '?'), coalesce(j.node, '?'), j.attempts, j.max_attempts,
                                      case when j.cancel_requested then '; cancelled as requested' else '' end) end
     where j.id = any (v_expired)
    returning j.id, j.node, j.pid, j.message, j.status, j.started_at is not null as started,
              j.type_key, j.task_key, j.attempts, j.max_attempts
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, r.message from recovered r
  ), alerts as (
    insert into :schema.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
    select r.id, r.type_key, r.task_key, r.status = 'failed', r.attempts, r.max_attempts, 'lease', r.message, r.node
      from recovered r
     where r.started and r.status <> 'cancelled'
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status <> 'waiting')
    into v_retry, v_ended from recovered r;
  if v_retry is not null then
    perform pg_notify(:channel_literal, '');
  end if;
  if v_ended is not null then
    perform :schema.fail_dependents(v_ended, null, null);
  end if;
  return coalesce(cardinality(v_retry), 0) + coalesce(cardinality(v_ended), 0);
end;
$$;
