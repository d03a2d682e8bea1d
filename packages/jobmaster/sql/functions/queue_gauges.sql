-- The queue's state as gauges (`jm serve`'s /metrics), one row per task: every registered
-- task, and any other with waiting, running or recently failed jobs. Columns:
--   waiting            waiting jobs, due or not
--   running            running jobs (those a worker claimed ahead included)
--   scheduled          waiting jobs whose run_at is in the future, never attempted
--   retry_backoff      waiting jobs whose run_at is in the future after a failed attempt
--   dependencies       waiting jobs held by dependency jobs that still wait or run
--   oldest_due_seconds how long the longest-waiting due job (run_at passed, no dependency
--                      held) has been due: since its run_at, or its creation if later; 0 if none
--   failed_last_hour   jobs that failed for good in the last hour
-- Each figure is read from an index holding only what it counts, so the cost follows the
-- waiting, running and recently failed jobs, not the size of the table (bench/scripts/
-- metrics-large-queue.ts): waiting jobs are counted from jobs_waiting_by_task, the delayed
-- ones (run_at later than their creation: scheduled, retried) from jobs_waiting_run_at,
-- running ones from jobs_lease_expiry, dependency waits from jobs_waiting_for, failures
-- from jobs_failed_recent. The oldest due job of a task that was due at its creation is the
-- first such job of each of its priorities in id order, found by skipping through
-- jobs_waiting_by_task one priority at a time (a descent per task and priority).
create or replace function :schema.queue_gauges()
returns table (type_key text, task_key text, waiting bigint, running bigint, scheduled bigint, retry_backoff bigint,
               dependencies bigint, oldest_due_seconds double precision, failed_last_hour bigint)
language sql stable
set jit = off
set enable_seqscan = off
as $$
  with recursive waiting as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'waiting'
     group by j.type_key, j.task_key
  ), running as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'running'
     group by j.type_key, j.task_key
  ), delayed as (
    select j.type_key, j.task_key,
           count(*) filter (where j.run_at > now() and j.attempts = 0) as scheduled,
           count(*) filter (where j.run_at > now() and j.attempts > 0) as backoff,
           min(j.run_at) filter (where j.run_at <= now() and j.waiting_for is null) as oldest_due
      from :schema.jobs j
     where j.status = 'waiting' and j.run_at > j.created_at
     group by j.type_key, j.task_key
  ), dependencies as (
    -- "contains the empty array" holds for every entry: a whole scan of the (small) index.
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'waiting' and j.waiting_for is not null and j.waiting_for @> '{}'::bigint[]
       and exists (select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running'))
     group by j.type_key, j.task_key
  ), priorities(type_key, task_key, priority) as (
    select w.type_key, w.task_key,
           (select j.priority from :schema.jobs j
             where j.status = 'waiting' and j.type_key = w.type_key and j.task_key = w.task_key
             order by j.priority desc, j.id limit 1)
      from waiting w
    union all
    select p.type_key, p.task_key,
           (select j.priority from :schema.jobs j
             where j.status = 'waiting' and j.type_key = p.type_key and j.task_key = p.task_key and j.priority < p.priority
             order by j.priority desc, j.id limit 1)
      from priorities p
     where p.priority is not null
  ), plain as (
    select p.type_key, p.task_key, min(h.created_at) as oldest_due
      from priorities p
      cross join lateral (
        select j.created_at from :schema.jobs j
         where j.status = 'waiting' and j.type_key = p.type_key and j.task_key = p.task_key and j.priority = p.priority
           and j.run_at <= j.created_at and j.waiting_for is null
         order by j.priority desc, j.id limit 1) h
     where p.priority is not null
     group by p.type_key, p.task_key
  ), failed as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'failed' and j.finished_at > now() - interval '1 hour'
     group by j.type_key, j.task_key
  ), names as (
    select t.type_key, t.task_key from :schema.tasks t
    union select w.type_key, w.task_key from waiting w
    union select r.type_key, r.task_key from running r
    union select f.type_key, f.task_key from failed f
  )
  select n.type_key, n.task_key, coalesce(w.n, 0), coalesce(r.n, 0), coalesce(d.scheduled, 0), coalesce(d.backoff, 0),
         coalesce(dp.n, 0),
         coalesce(greatest(extract(epoch from now() - least(pl.oldest_due, d.oldest_due))::double precision, 0), 0),
         coalesce(f.n, 0)
    from names n
    left join waiting w on w.type_key = n.type_key and w.task_key = n.task_key
    left join running r on r.type_key = n.type_key and r.task_key = n.task_key
    left join delayed d on d.type_key = n.type_key and d.task_key = n.task_key
    left join dependencies dp on dp.type_key = n.type_key and dp.task_key = n.task_key
    left join plain pl on pl.type_key = n.type_key and pl.task_key = n.task_key
    left join failed f on f.type_key = n.type_key and f.task_key = n.task_key
   order by n.type_key, n.task_key;
$$;
