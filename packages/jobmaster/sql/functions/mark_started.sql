-- Counts the attempt of jobs a worker claimed ahead (running, started_at null) and has now
-- started: attempts + 1, started_at now. Only jobs this worker still holds. Called with the
-- ids a worker reports in its next claim or heartbeat, and before a failure, cancellation or
-- release is written (a completion counts an unreported start itself: complete_jobs).
-- Params: worker id; job ids; skip_locked: leave out jobs another transaction has locked.
-- A claim and a heartbeat skip them: the worker's own completion, on another connection,
-- holds them and counts the start itself. Waiting for it instead deadlocked (each locked rows
-- the other wanted, in another order) and PostgreSQL broke the tie only after
-- deadlock_timeout (1 s), which was the whole last second of many drains.
create or replace function :schema.mark_started(p_worker_id text, p_ids bigint[], p_skip_locked boolean default false)
returns void
language plpgsql volatile
set enable_seqscan = off
as $$
begin
  if p_skip_locked then
    update :schema.jobs j
       set attempts = j.attempts + 1, started_at = now()
     where j.id in (select l.id from :schema.jobs l
                     where l.id = any (p_ids) and (l.status = 'running') is true and l.worker_id = p_worker_id
                       and l.started_at is null
                       for update skip locked)
       and j.started_at is null;
  else
    update :schema.jobs j
       set attempts = j.attempts + 1, started_at = now()
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id and j.started_at is null;
  end if;
end;
$$;
