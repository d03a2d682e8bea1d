-- Writes the start of the current attempt of running jobs into job_events, for jobs about
-- to leave 'running' by a path other than completion (job_history reads a running job's
-- start from its row, which the next attempt overwrites). Locks the rows it records, so the
-- caller's update sees them unchanged. p_worker_id null: whoever holds them.
-- enable_seqscan off: as a SQL function its ids are not a constant the planner can hash, so
-- a plan starting from the running jobs compared every running job with every id.
create or replace function :schema.record_starts(p_ids bigint[], p_worker_id text)
returns void
language sql volatile
set enable_seqscan = off
as $$
  with held as (
    select j.id, j.started_at, j.node, j.pid, j.attempts, j.max_attempts
      from :schema.jobs j
     where j.id = any (p_ids) and (j.status = 'running') is true and j.started_at is not null
       and (p_worker_id is null or j.worker_id = p_worker_id)
     order by j.id
       for update
  )
  insert into :schema.job_events (job_id, at, status, node, pid, message)
  select h.id, h.started_at, 'running', h.node, h.pid, format('attempt %s of %s', h.attempts, h.max_attempts) from held h;
$$;
