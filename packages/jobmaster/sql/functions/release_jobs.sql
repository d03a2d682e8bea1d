-- Gives running jobs back to the queue without counting the attempt (a worker shutting
-- down before they finished); jobs with a pending cancel request end as cancelled instead.
-- Each job's start is recorded in the history first. Returns the ids released (both kinds).
-- Reads the jobs by id whatever the statistics say, as fail_jobs does.
create or replace function :schema.release_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
set enable_seqscan = off
as $$
declare
  v_ids       bigint[];
  v_cancelled bigint[];
begin
  perform :schema.record_starts(p_ids, p_worker_id);
  -- A job someone asked to cancel is not given back: it ends as cancelled.
  with released as (
    update :schema.jobs j
       set status = case when j.cancel_requested then 'cancelled' else 'waiting' end,
           finished_at = case when j.cancel_requested then now() end,
           -- A job held ahead and never started (started_at null) has not counted an attempt.
           attempts = case when j.cancel_requested or j.started_at is null then j.attempts else greatest(j.attempts - 1, 0) end,
           lease_expires_at = null, worker_id = null,
           message = p_message
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid, j.status
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, p_message from released r
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status = 'cancelled')
    into v_ids, v_cancelled from released r;
  if v_ids is not null then
    perform pg_notify(:channel_literal, '');
  end if;
  if v_cancelled is not null then
    perform :schema.fail_dependents(v_cancelled, null, null);
  end if;
  return query select unnest(coalesce(v_ids, '{}') || coalesce(v_cancelled, '{}'));
end;
$$;
