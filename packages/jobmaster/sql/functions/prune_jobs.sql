-- Deletes finished jobs (complete, failed, cancelled) that finished more than p_older_than
-- ago, with their history and the completions recorded for dependency checks. Never touches
-- a waiting or running job. Jobs they spawned keep running and lose only the link
-- (spawned_by becomes null).
-- Params: the age; optionally one task (type key and task key, both or neither).
-- Returns one row per status with how many jobs were deleted.
create or replace function :schema.prune_jobs(p_older_than interval, p_type_key text default null, p_task_key text default null)
returns table (status text, deleted bigint)
language sql volatile
as $$
  delete from :schema.latest_completions c
   where c.finished_at < now() - p_older_than
     and (p_type_key is null or (c.type_key = p_type_key and c.task_key = p_task_key));
  with gone as (
    delete from :schema.jobs j
     where j.status in ('complete', 'failed', 'cancelled')
       and j.finished_at < now() - p_older_than
       and (p_type_key is null or (j.type_key = p_type_key and j.task_key = p_task_key))
    returning j.status
  )
  select g.status, count(*) from gone g group by g.status order by g.status;
$$;
