-- Enqueues the next job of each completed job whose task names a next task (`@task({ next })`),
-- in the transaction that completes them (called by complete_jobs only when one of the
-- completed jobs' tasks has a next). The completed job's result is the next job's arguments:
-- an object maps parameter names to values, null (or no result) means no arguments. The next
-- job goes through enqueue, so it is validated by the task's rules and meets an identical
-- waiting or running job instead of doubling it; it inherits the completed job's priority and
-- records it as spawned_by.
-- A result the next task refuses (not an object, an unknown parameter, a wrong type, a value
-- outside select-from) fails the completed job for good, with a message naming the next task
-- and the reason: its work is done, but the chain cannot go on until the task is fixed
-- (`jm retry` runs it again).
-- Param: ids of jobs that have just completed. Returns the ids it failed, or null.
-- Planned with the planner's defaults (the set clauses): complete_jobs turns nested loops,
-- merge joins or sequential scans off for its own statements, and a called function inherits
-- that; these joins of a batch against runs and steps then hashed whole tables.
create or replace function :schema.chain_next_jobs(p_job_ids bigint[])
returns bigint[]
language plpgsql volatile
set enable_nestloop = on
set enable_mergejoin = on
set enable_seqscan = on
set enable_sort = on
set plan_cache_mode = auto
as $$
declare
  v_job     record;
  v_args    jsonb;
  v_refused bigint[];
  v_message text;
begin
  for v_job in
    select j.id, j.priority, j.result, j.node, j.pid, t.next_type_key, t.next_task_key
      from :schema.jobs j
      join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
     where j.id = any (p_job_ids) and t.next_task_key is not null
     order by j.id
  loop
    begin
      v_args := case when v_job.result is null or jsonb_typeof(v_job.result) = 'null' then '{}'::jsonb
                     when jsonb_typeof(v_job.result) = 'object' then v_job.result end;
      if v_args is null then
        raise exception using errcode = 'JM002',
          message = format('its result is %s %s, not an object of arguments',
                           case when jsonb_typeof(v_job.result) in ('array', 'object') then 'an' else 'a' end,
                           jsonb_typeof(v_job.result));
      end if;
      perform :schema.enqueue(v_job.next_type_key, v_job.next_task_key, v_job.priority, v_args, null, v_job.id, null, 'raise');
    exception when sqlstate 'JM001' or sqlstate 'JM002' or data_exception then
      -- enqueue's messages start with the task's name, which this one already gives.
      v_message := format('completed, but next task %s.%s refused its result: %s', v_job.next_type_key, v_job.next_task_key,
                          left(regexp_replace(sqlerrm, '^' || v_job.next_type_key || '\.' || v_job.next_task_key || ': ', ''), 500));
      -- The failure alert (job_alerts, cause 'next') is written by the statement that fails the job.
      with failed as (
        update :schema.jobs j
           set status = 'failed', message = v_message,
               error = jsonb_build_object('message', v_message, 'attempt', j.attempts)
         where j.id = v_job.id
        returning j.id, j.type_key, j.task_key, j.attempts, j.max_attempts, j.node
      )
      insert into :schema.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node)
      select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'next', v_message, f.node from failed f;
      insert into :schema.job_events (job_id, status, node, pid, message)
      values (v_job.id, 'failed', v_job.node, v_job.pid, v_message);
      v_refused := v_refused || v_job.id;
    end;
  end loop;
  return v_refused;
end;
$$;
