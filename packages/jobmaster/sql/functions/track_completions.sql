-- Makes latest_completions follow the registry: rows of tasks nothing depends on any more
-- go, and a task that became a dependency (it has no rows yet) gets its completions of the
-- last 30 days, the longest window a dependency can have. Run by the deploy after it syncs
-- the registry.
create or replace function :schema.track_completions()
returns void
language sql volatile
as $$
  delete from :schema.latest_completions l
   where not exists (select 1 from :schema.task_dependencies d
                      where d.depends_on_type_key = l.type_key and d.depends_on_task_key = l.task_key);
  select :schema.record_completions(array(
    select j.id
      from (select distinct d.depends_on_type_key as type_key, d.depends_on_task_key as task_key
              from :schema.task_dependencies d
             where not exists (select 1 from :schema.latest_completions c
                                where c.type_key = d.depends_on_type_key and c.task_key = d.depends_on_task_key)) t
      join :schema.jobs j on j.type_key = t.type_key and j.task_key = t.task_key
                         and j.finished_at >= now() - interval '30 days' and j.status = 'complete'));
$$;
