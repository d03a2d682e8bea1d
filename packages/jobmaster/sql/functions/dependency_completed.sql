-- True when a job of the task whose arguments include p_arguments completed within
-- p_freshness. No arguments: any completion of the task in the window (by task and time);
-- otherwise the containment index finds the matching argument sets, whatever the task's
-- history. The job row has the last word: a pruned completion counts no more, and the
-- window is judged by the job's own finished_at.
-- The few completions found are joined to their jobs one by one (nested loop through the
-- primary key), whatever the statistics say: with the planner preferring a hash join, a claim
-- of 200 dependents read 513,704 rows instead of a few thousand, and a CI run once read 40
-- million with the statistics of its moment (test/worker/dependency-lookups.test.ts).
create or replace function :schema.dependency_completed(p_type_key text, p_task_key text, p_arguments jsonb, p_freshness interval)
returns boolean
language sql stable
set enable_nestloop = on
set enable_hashjoin = off
set enable_mergejoin = off
set enable_seqscan = off
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
