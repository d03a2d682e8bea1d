-- Records the given jobs' completions when their task is one something depends on: the
-- latest completion per argument set wins. Rows go in sorted by identity, so concurrent
-- batches cannot deadlock.
create or replace function :schema.record_completions(p_ids bigint[])
returns void
language sql volatile
as $$
  insert into :schema.latest_completions as l (identity_hash, type_key, task_key, lookup, job_id, finished_at)
  select distinct on (j.identity_hash) j.identity_hash, j.type_key, j.task_key,
         jsonb_build_object(j.type_key, jsonb_build_object(j.task_key, j.arguments)), j.id, j.finished_at
    from :schema.jobs j
   where j.id = any (p_ids) and j.status = 'complete'
     and (j.type_key, j.task_key) in (select d.depends_on_type_key, d.depends_on_task_key from :schema.task_dependencies d)
   order by j.identity_hash, j.finished_at desc, j.id desc
  on conflict (identity_hash) do update set job_id = excluded.job_id, finished_at = excluded.finished_at
   where l.finished_at <= excluded.finished_at;
$$;
