-- Renews the leases of jobs this worker runs and records that the worker is alive.
-- Returns each job still held, with whether someone asked to cancel it; a job missing
-- from the result was lost (its lease lapsed and it went back to the queue). Never waits for
-- a job's row lock.
-- p_started: jobs claimed ahead that the worker has started since (mark_started).
-- Reads the jobs by id whatever the statistics say, as fail_jobs does.
create or replace function :schema.heartbeat(p_worker_id text, p_ids bigint[], p_lease_seconds double precision,
                                             p_started bigint[] default null)
returns table (id bigint, cancel_requested boolean)
language plpgsql volatile
set jit = off
set plan_cache_mode = force_custom_plan
set enable_seqscan = off
as $$
begin
  if cardinality(p_started) > 0 then
    perform :schema.mark_started(p_worker_id, p_started, true);
  end if;
  update :schema.workers set last_seen_at = now() where worker_id = p_worker_id;
  -- Rows another transaction holds are left alone (the worker's own completion or failure of
  -- them may be in flight on another connection: waiting could deadlock with it, see
  -- mark_started) and reported as still held from their last committed state; their leases
  -- are renewed by the next heartbeat if they still run.
  return query
    with locked as (
      select l.id from :schema.jobs l
       where l.id = any (p_ids) and (l.status = 'running') is true and l.worker_id = p_worker_id
         for update skip locked
    ), renewed as (
      update :schema.jobs j
         set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
        from locked l
       where j.id = l.id
      returning j.id, j.cancel_requested
    )
    select r.id, r.cancel_requested from renewed r
    union all
    select b.id, b.cancel_requested from :schema.jobs b
     where b.id = any (p_ids) and (b.status = 'running') is true and b.worker_id = p_worker_id
       and b.id not in (select l.id from locked l);
end;
$$;
