-- Renews the leases of jobs this worker runs and records that the worker is alive.
-- Returns each job still held, with whether someone asked to cancel it; a job missing
-- from the result was lost (its lease lapsed and it went back to the queue).
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
    perform :schema.mark_started(p_worker_id, p_started);
  end if;
  update :schema.workers set last_seen_at = now() where worker_id = p_worker_id;
  return query
    update :schema.jobs j
       set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.cancel_requested;
end;
$$;
