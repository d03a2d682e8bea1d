-- JobMaster schema, version 7: quicker claims. Placeholders as in 0001.
-- claim_jobs is as in version 5, with these changes (docs/benchmarks.md, fourth round):
-- - The candidates are chosen and locked first, by one statement for every path, and the
--   per-batch checks for fan-out and dependencies (a join of every candidate with its task
--   and its dependencies) run only when one of them is of a task that can fan out or has a
--   dependency. They ran whenever one of the worker's tasks could, although its candidates
--   were nearly always plain jobs: a claim of 1,000 plain jobs by a worker that also knows
--   such tasks went from 14.8 to 13.6 ms.
-- - Lease recovery runs only when a lease has lapsed (one index probe decides). A one-job
--   claim, the idle worker's reply to a NOTIFY: about 0.1 ms less.
-- - A worker that runs only some of the tasks read the claim-order index, which holds every
--   task's jobs, through the other tasks' backlog to find its own. One of up to 8 tasks now
--   merges the heads of its tasks in jobs_waiting_by_task, which gains the claim order for
--   that (below).

-- Waiting jobs by task, in claim order: a worker that runs some of the tasks takes the best
-- of each of its tasks from here. Same entries as before (status counts, dependency twins),
-- 12 bytes wider. Rebuilt on upgrade: the deploy holds writes to jobs while it reads the table.
drop index :schema.jobs_waiting_by_task;
create index jobs_waiting_by_task on :schema.jobs (type_key, task_key, priority desc, id) where status = 'waiting';

create or replace function :schema.claim_jobs(
  p_worker_id text, p_node text, p_pid integer, p_budget integer, p_limit integer,
  p_lease_seconds double precision, p_tasks text[], p_max_dependency_waits integer default 20)
returns table (id bigint, type_key text, task_key text, arguments jsonb, priority integer,
               process_units integer, attempts integer, max_attempts integer, action text, message text,
               spawned integer)
language plpgsql volatile
set jit = off
set enable_sort = off
set enable_seqscan = off
set plan_cache_mode = force_generic_plan
as $$
declare
  v_available integer;
  v_job       record;
  v_run       bigint[] := '{}';
  v_fan       jsonb;
  v_deps      record;
  v_action    text;
  v_message   text;
  v_spawned   integer;
  v_ids       bigint[];
  v_special   boolean;
  v_over      boolean;
  v_units     integer[];
  v_special_ids bigint[] := '{}';
  v_worker_tasks text[];
  v_special_tasks text[];
  v_subset    boolean;
  v_heads     text;
begin
  -- Lease recovery is a function call with its own statements: about 0.1 ms, a third of a
  -- one-job claim's time in the server. Only made when some lease has lapsed.
  if exists (select 1 from :schema.jobs j where j.status = 'running' and j.lease_expires_at < now()) then
    perform :schema.recover_expired_leases();
  end if;
  perform pg_advisory_xact_lock(hashtext(format('jobmaster:node:%s:%s', :channel_literal, p_node)));
  select p_budget - coalesce(sum(j.process_units), 0) into v_available
    from :schema.jobs j where j.status = 'running' and j.node = p_node;

  -- The worker's tasks, those of them that can fan out or have dependencies, and whether it
  -- runs only some of the tasks.
  select coalesce(array_agg(t.name) filter (where t.mine), '{}'),
         coalesce(array_agg(t.name) filter (where t.mine and t.special), '{}'),
         coalesce(bool_or(not t.mine), false)
    into v_worker_tasks, v_special_tasks, v_subset
    from (select t.type_key || '.' || t.task_key as name,
                 p_tasks is null or (t.type_key || '.' || t.task_key) = any (p_tasks) as mine,
                 cardinality(t.write_all) > 0
                   or exists (select 1 from :schema.task_dependencies d where d.type_key = t.type_key and d.task_key = t.task_key) as special
            from :schema.tasks t) t;

  -- The candidates, locked: the best waiting jobs of the worker's tasks, and whether one of
  -- them is of a task that can fan out or has dependencies (only then do the checks below
  -- run). A worker that runs every task reads the head of the claim-order index. One that
  -- runs a few of them (up to 8) merges the heads of its tasks in jobs_waiting_by_task
  -- instead of reading through the others' jobs; it locks up to a batch per task, the
  -- unused rows until this claim commits, which is why a worker of many tasks stays on the
  -- claim-order index.
  if not v_subset or cardinality(v_worker_tasks) > 8 then
    select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > v_available,
           array[min(c.process_units), max(c.process_units)], coalesce(bool_or(c.task = any (v_special_tasks)), false)
      into v_ids, v_over, v_units, v_special
      from (select j.id, j.priority, j.process_units, j.type_key || '.' || j.task_key as task
              from :schema.jobs j
             where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
               and (j.type_key || '.' || j.task_key) = any (v_worker_tasks)
               and (j.waiting_for is null or not exists (
                      select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
             order by j.priority desc, j.id
             limit p_limit
               for update of j skip locked) c;
  else
    -- One head per task, merged. Planned with the task names as constants: with parameters
    -- the planner cannot tell a task with few jobs among another's many, and reads the
    -- claim-order index through the others' jobs anyway.
    select string_agg(format($head$
             select * from (select j.id, j.priority, j.process_units, %L as task
                              from :schema.jobs j
                             where j.type_key = %L and j.task_key = %L
                               and j.status = 'waiting' and j.run_at <= now() and j.process_units <= $1
                               and (j.waiting_for is null or not exists (
                                      select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
                             order by j.priority desc, j.id
                             limit $2
                               for update of j skip locked) h$head$, t.type_key || '.' || t.task_key, t.type_key, t.task_key), ' union all ')
      into v_heads
      from :schema.tasks t
     where (t.type_key || '.' || t.task_key) = any (v_worker_tasks);
    v_ids := '{}';
    v_over := false;
    v_special := false;
    if v_heads is not null then
      execute format($sql$
        select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > $1,
               array[min(c.process_units), max(c.process_units)], coalesce(bool_or(c.task = any ($3)), false)
          from (select u.id, u.priority, u.process_units, u.task from (%s) u order by u.priority desc, u.id limit $2) c
        $sql$, v_heads)
        into v_ids, v_over, v_units, v_special
        using v_available, p_limit, v_special_tasks;
    end if;
  end if;

  if v_special then
    -- Which candidates fan out or have a dependency not met, decided for the whole batch:
    -- each distinct dependency (task, window, arguments) is looked up once, however many
    -- candidates need it. Dependencies with "same" arithmetic are left to unmet_dependencies.
    with cand as materialized (
      select j.id, j.type_key, j.task_key, j.arguments, t.write_all
        from :schema.jobs j
        join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
       where j.id = any (v_ids)
    ), needs as (
      select c.id, d.depends_on_type_key as type_key, d.depends_on_task_key as task_key, d.freshness,
             exists (select 1 from jsonb_each(d.arguments) a
                      where a.value ->> 'kind' <> 'value' and coalesce(a.value -> 'ops', '[]') <> '[]') as arithmetic,
             (select coalesce(jsonb_object_agg(a.key, case when a.value ->> 'kind' = 'value' then a.value -> 'value'
                                                            else c.arguments -> (a.value ->> 'parameter') end), '{}')
                from jsonb_each(d.arguments) a) as arguments
        from cand c
        join :schema.task_dependencies d on d.type_key = c.type_key and d.task_key = c.task_key
    ), met as (
      select n.type_key, n.task_key, n.freshness, n.arguments
        from (select distinct e.type_key, e.task_key, e.freshness, e.arguments from needs e where not e.arithmetic) n
       where exists (select 1 from :schema.jobs x
                      where x.type_key = n.type_key and x.task_key = n.task_key
                        and x.status = 'complete' and x.finished_at >= now() - n.freshness
                        and x.arguments @> n.arguments)
    ), unmet as (
      select n.id from needs n
       where n.arithmetic
          or not exists (select 1 from met m where m.type_key = n.type_key and m.task_key = n.task_key
                                                and m.freshness = n.freshness and m.arguments = n.arguments)
    )
    select coalesce(array_agg(c.id) filter (where c.fans_out or c.id in (select u.id from unmet u)), '{}')
      into v_special_ids
      from (select c.*, cardinality(c.write_all) > 0
                        and exists (select 1 from unnest(c.write_all) w where c.arguments -> w = '"ALL"'::jsonb) as fans_out
              from cand c) c;
    v_special := cardinality(v_special_ids) > 0;
  end if;
  -- Fast path: no candidate fans out or waits for a dependency, and all fit the budget.
  if not v_special and not v_over then
    v_run := v_ids;
  elsif not v_special and v_units[1] = v_units[2] then
    -- Plain jobs of equal units and a budget that binds: the first that fit, in claim order.
    v_run := v_ids[1 : v_available / v_units[1]];
  else
  for v_job in
    select j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
           j.dependency_requeues, t.write_all,
           cardinality(t.write_all) > 0
             and exists (select 1 from unnest(t.write_all) w where j.arguments -> w = '"ALL"'::jsonb) as fans_out
      from :schema.jobs j
      join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
     where j.id = any (v_ids)
     order by j.priority desc, j.id
  loop
    -- Fan-out and unmet dependencies were judged above for the batch.
    if v_job.id = any (v_special_ids) then
      v_action := null;
      v_spawned := 0;
      -- Fan-out and dependency checks insert jobs; a failure there fails this job alone.
      begin
        if v_job.fans_out then
          v_fan := :schema.fan_out(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_job.write_all);
          v_spawned := (v_fan ->> 'inserted')::integer;
          v_action := 'fanned_out';
          v_message := format('fanned out into %s jobs (%s new)', v_fan ->> 'total', v_fan ->> 'inserted');
          -- Its history shows the completion from the row (job_history).
          update :schema.jobs j set status = 'complete', finished_at = now(), node = p_node, pid = p_pid,
                 message = v_message, result = v_fan where j.id = v_job.id;
        else
          select * into v_deps
            from :schema.unmet_dependencies(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments);
          if v_deps.wait_for is not null then
            v_spawned := v_deps.inserted;
            if v_job.dependency_requeues >= p_max_dependency_waits then
              v_action := 'failed';
              v_message := format('dependencies still unmet after %s checks (waiting for jobs %s); giving up',
                                  v_job.dependency_requeues, array_to_string(v_deps.wait_for, ', '));
            else
              v_action := 'waiting';
              v_message := format('waiting for dependency jobs %s', array_to_string(v_deps.wait_for, ', '));
              update :schema.jobs j set waiting_for = v_deps.wait_for, dependency_requeues = j.dependency_requeues + 1,
                     message = v_message where j.id = v_job.id;
              perform :schema.record_events(array[v_job.id], 'waiting', p_node, p_pid, v_message);
            end if;
          end if;
        end if;
      exception when others then
        v_action := 'failed';
        v_spawned := 0;
        v_message := format('could not prepare job: %s', sqlerrm);
      end;
      if v_action = 'failed' then
        update :schema.jobs j set status = 'failed', finished_at = now(), node = p_node, pid = p_pid,
               message = v_message where j.id = v_job.id;
        perform :schema.record_events(array[v_job.id], 'failed', p_node, p_pid, v_message);
        perform :schema.fail_dependents(array[v_job.id], p_node, p_pid);
      end if;
      if v_action is not null then
        return query select v_job.id, v_job.type_key, v_job.task_key, v_job.arguments, v_job.priority,
                            v_job.process_units, v_job.attempts, v_job.max_attempts, v_action, v_message, v_spawned;
        continue;
      end if;
    end if;
    -- Units shrink as this batch fills: a job that no longer fits stays waiting.
    continue when v_job.process_units > v_available;
    v_available := v_available - v_job.process_units;
    v_run := v_run || v_job.id;
  end loop;
  end if;

  if cardinality(v_run) > 0 then
    -- The start of an attempt is the row's started_at: no history row (see job_history).
    return query
      with claimed as (
        update :schema.jobs j
           set status = 'running', attempts = j.attempts + 1, started_at = now(), finished_at = null,
               node = p_node, pid = p_pid, worker_id = p_worker_id, waiting_for = null, message = null,
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
         where j.id = any (v_run)
        returning j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts, c.max_attempts,
             'run'::text, null::text, 0
        from claimed c order by c.priority desc, c.id;
  end if;
end;
$$;
