-- Records a failed attempt of jobs this worker holds. With attempts left the job waits
-- again after a backoff (retry_delay_seconds doubled per attempt, at most an hour);
-- otherwise it fails for good and so do the jobs waiting on it. Each job's start is
-- recorded first (record_starts), since the next attempt overwrites started_at. Each failed
-- attempt is recorded as an alert (job_alerts, final or not) in the same statement.
-- Param p_failures: [{"id": 1, "message": "...", "stack": "..."}, ...].
-- Returns (id, final, run_at): final is true when the job failed for good; run_at is when a
-- retry may start.
-- The jobs are read through the primary key by their ids whatever the statistics say
-- (`(status = 'running') is true` does not match the partial indexes' predicates; no
-- sequential scans or nested loops): stale statistics otherwise made the planner read every
-- running job through the lease index for each batch.
create or replace function :schema.fail_jobs(p_worker_id text, p_failures jsonb)
returns table (id bigint, final boolean, run_at timestamptz)
language plpgsql volatile
set jit = off
set enable_seqscan = off
set enable_nestloop = off
set enable_mergejoin = off
as $$
declare
  v_ids   bigint[];
  v_rows  jsonb;
  v_final bigint[];
  v_node  text;
  v_pid   integer;
begin
  v_ids := array(select (f.value ->> 'id')::bigint from jsonb_array_elements(p_failures) f);
  perform :schema.mark_started(p_worker_id, v_ids);
  perform :schema.record_starts(v_ids, p_worker_id);
  with failed as (
    update :schema.jobs j
       set status = case when j.attempts >= j.max_attempts then 'failed' else 'waiting' end,
           finished_at = case when j.attempts >= j.max_attempts then now() end,
           run_at = case when j.attempts >= j.max_attempts then j.run_at
                         else now() + make_interval(secs => least(3600,
                                coalesce((select t.retry_delay_seconds from :schema.tasks t
                                           where t.type_key = j.type_key and t.task_key = j.task_key), 5)
                                * 2 ^ (j.attempts - 1))) end,
           lease_expires_at = null, worker_id = null,
           error = jsonb_build_object('message', f.value ->> 'message', 'stack', f.value ->> 'stack', 'attempt', j.attempts),
           message = case when j.attempts >= j.max_attempts
                          then format('failed on attempt %s of %s: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500))
                          else format('attempt %s of %s failed, retrying: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500)) end
      from jsonb_array_elements(p_failures) f
     where j.id = any (v_ids) and j.id = (f.value ->> 'id')::bigint
       and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.status = 'failed' as final, j.run_at, j.node, j.pid, j.message,
              j.type_key, j.task_key, j.attempts, j.max_attempts, j.error
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select f.id, case when f.final then 'failed' else 'waiting' end, f.node, f.pid, f.message from failed f
  ), alerts as (
    insert into :schema.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, stack, node, worker_id)
    select f.id, f.type_key, f.task_key, f.final, f.attempts, f.max_attempts, 'error',
           coalesce(f.error ->> 'message', ''), f.error ->> 'stack', f.node, p_worker_id
      from failed f
  )
  select jsonb_agg(jsonb_build_object('id', f.id, 'final', f.final, 'run_at', f.run_at)),
         array_agg(f.id) filter (where f.final), min(f.node), min(f.pid)
    into v_rows, v_final, v_node, v_pid from failed f;
  if v_final is not null then
    perform :schema.fail_dependents(v_final, v_node, v_pid);
  end if;
  return query select (r ->> 'id')::bigint, (r ->> 'final')::boolean, (r ->> 'run_at')::timestamptz
                 from jsonb_array_elements(coalesce(v_rows, '[]')) r;
end;
$$;
