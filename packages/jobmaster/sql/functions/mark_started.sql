-- Counts the attempt of jobs a worker claimed ahead (running, started_at null) and has now
-- started: attempts + 1, started_at now. Only jobs this worker still holds. Called with the
-- ids a worker reports in its next claim or heartbeat, and before a failure, cancellation or
-- release is written (a completion counts an unreported start itself: complete_jobs).
create or replace function :schema.mark_started(p_worker_id text, p_ids bigint[])
returns void
language sql volatile
set enable_seqscan = off
as $$
  update :schema.jobs j
     set attempts = j.attempts + 1, started_at = now()
   where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id and j.started_at is null;
$$;
