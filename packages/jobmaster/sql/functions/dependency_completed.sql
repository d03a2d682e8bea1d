-- True when a job of the task whose arguments include p_arguments completed within
-- p_freshness. No arguments: any completion of the task in the window (by task and time);
-- otherwise the containment index finds the matching argument sets, whatever the task's
-- history. The job row has the last word: a pruned completion counts no more, and the
-- window is judged by the job's own finished_at.
create or replace function :schema.dependency_completed(p_type_key text, p_task_key text, p_arguments jsonb, p_freshness interval)
returns boolean
language sql stable
as $$
  select case
    when p_arguments = '{}'::jsonb then exists (
      select 1 from :schema.latest_completions c
        join :schema.jobs j on j.id = c.job_id and j.status = 'complete'
       where c.type_key = p_type_key and c.task_key = p_task_key and c.finished_at >= now() - p_freshness
         and j.finished_at >= now() - p_freshness)
    else exists (
      select 1 from :schema.latest_completions c
        join :schema.jobs j on j.id = c.job_id and j.status = 'complete'
       where c.lookup @> jsonb_build_object(p_type_key, jsonb_build_object(p_task_key, p_arguments))
         and c.finished_at >= now() - p_freshness and j.finished_at >= now() - p_freshness)
  end;
$$;
