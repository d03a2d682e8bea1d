-- The queue's state as gauges (`jm serve`'s /metrics), one row per task: every registered
-- task, and any other with waiting, running or recently failed jobs. Columns:
--   waiting            waiting jobs, due or not
--   running            running jobs (those a worker claimed ahead included)
--   scheduled          waiting jobs whose run_at is in the future, never attempted
--   retry_backoff      waiting jobs whose run_at is in the future after a failed attempt
--   dependencies       waiting jobs a claim sent back to wait for their dependency jobs (until
--                      a claim takes them again once those have finished)
--   oldest_due_seconds how long the longest-waiting due job (run_at passed, not sent back to
--                      wait for dependencies) has been due: since its run_at, or its creation
--                      if later; 0 if none
--   failed_last_hour   jobs that failed for good in the last hour
-- Each figure is read from an index holding only what it counts, so the cost follows the
-- waiting, running and recently failed jobs, not the size of the table (bench/scripts/
-- metrics-large-queue.ts): waiting jobs are counted from jobs_waiting_by_task, scheduled and
-- retried ones (run_at later than their creation) from jobs_waiting_run_at, dependency
-- waits from jobs_waiting_for_dependencies (a job a claim sent back to wait, until a claim
-- takes it again once they finish), running ones from jobs_lease_expiry, failures from
-- jobs_failed_recent. The oldest due job that was due at its creation is, for each priority
-- of the task, the first such job in id order among the first 100 waiting jobs of that
-- priority (a priority whose 100 oldest waiting jobs are all scheduled, backing off or held
-- by dependencies is skipped: the price of never reading a long run of them).
create or replace function :schema.queue_gauges()
returns table (type_key text, task_key text, waiting bigint, running bigint, scheduled bigint, retry_backoff bigint,
               dependencies bigint, oldest_due_seconds double precision, failed_last_hour bigint)
language sql stable
set jit = off
set enable_seqscan = off
as $$
  with recursive waiting_tasks(type_key, task_key) as (
    -- The tasks with waiting jobs, registered or not: one descent per task (a skip scan).
    (select j.type_key, j.task_key from :schema.jobs j
      where j.status = 'waiting' order by j.type_key, j.task_key limit 1)
    union all
    select n.type_key, n.task_key
      from waiting_tasks w
      cross join lateral (
        select j.type_key, j.task_key from :schema.jobs j
         where j.status = 'waiting' and (j.type_key, j.task_key) > (w.type_key, w.task_key)
         order by j.type_key, j.task_key limit 1) n
  ), running as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'running'
     group by j.type_key, j.task_key
  ), delayed as (
    select j.type_key, j.task_key,
           count(*) filter (where j.run_at > now() and j.attempts = 0) as scheduled,
           count(*) filter (where j.run_at > now() and j.attempts > 0) as backoff,
           min(j.run_at) filter (where j.run_at <= now()) as oldest_due
      from :schema.jobs j
     where j.status = 'waiting' and j.run_at > j.created_at
     group by j.type_key, j.task_key
  ), dependencies as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'waiting' and j.waiting_for is not null
     group by j.type_key, j.task_key
  ), priorities(type_key, task_key, priority) as (
    select w.type_key, w.task_key,
           (select j.priority from :schema.jobs j
             where j.status = 'waiting' and j.type_key = w.type_key and j.task_key = w.task_key
             order by j.priority desc, j.id limit 1)
      from waiting_tasks w
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
        select j.created_at
          from (select w.id from :schema.jobs w
                 where w.status = 'waiting' and w.type_key = p.type_key and w.task_key = p.task_key and w.priority = p.priority
                 order by w.priority desc, w.id limit 100) head
          join :schema.jobs j on j.id = head.id
         where j.run_at <= j.created_at and j.waiting_for is null
         order by head.id limit 1) h
     where p.priority is not null
     group by p.type_key, p.task_key
  ), failed as (
    select j.type_key, j.task_key, count(*) as n
      from :schema.jobs j
     where j.status = 'failed' and j.finished_at > now() - interval '1 hour'
     group by j.type_key, j.task_key
  ), names as (
    select t.type_key, t.task_key from :schema.tasks t
    union select w.type_key, w.task_key from waiting_tasks w
    union select r.type_key, r.task_key from running r
    union select f.type_key, f.task_key from failed f
  ), waiting as (
    -- Counted task by task, a range of the index each: quicker than grouping the whole index.
    select n.type_key, n.task_key,
           (select count(*) from :schema.jobs j
             where j.status = 'waiting' and j.type_key = n.type_key and j.task_key = n.task_key) as n
      from names n
  )
  select w.type_key, w.task_key, w.n, coalesce(r.n, 0), coalesce(d.scheduled, 0), coalesce(d.backoff, 0),
         coalesce(dp.n, 0),
         coalesce(greatest(extract(epoch from now() - least(pl.oldest_due, d.oldest_due))::double precision, 0), 0),
         coalesce(f.n, 0)
    from waiting w
    left join running r on r.type_key = w.type_key and r.task_key = w.task_key
    left join delayed d on d.type_key = w.type_key and d.task_key = w.task_key
    left join dependencies dp on dp.type_key = w.type_key and dp.task_key = w.task_key
    left join plain pl on pl.type_key = w.type_key and pl.task_key = w.task_key
    left join failed f on f.type_key = w.type_key and f.task_key = w.task_key
   order by w.type_key, w.task_key;
$$;
