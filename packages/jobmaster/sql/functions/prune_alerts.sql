-- Deletes failure alerts raised more than p_older_than ago, delivered or not (as prune_jobs
-- deletes the failed jobs themselves): `jm status` shows undelivered alerts long before.
-- Params: the age; optionally one task (type key and task key, both or neither).
-- Returns how many delivered and how many undelivered alerts were deleted.
create or replace function :schema.prune_alerts(p_older_than interval, p_type_key text default null, p_task_key text default null)
returns table (delivered bigint, undelivered bigint)
language sql volatile
as $$
  with gone as (
    delete from :schema.job_alerts a
     where a.failed_at < now() - p_older_than
       and (p_type_key is null or (a.type_key = p_type_key and a.task_key = p_task_key))
    returning a.delivered_at is not null as delivered
  )
  select count(*) filter (where g.delivered), count(*) filter (where not g.delivered) from gone g;
$$;
