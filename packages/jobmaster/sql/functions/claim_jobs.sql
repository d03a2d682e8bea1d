-- Claims up to p_limit jobs for one worker. Serialised per node (an advisory lock) so the
-- node's process-unit budget (p_budget, minus the units of jobs already running on p_node)
-- holds however many workers race. Jobs of a write-all task with "ALL" are fanned out
-- instead of run; jobs whose dependencies are unmet go back to waiting on them (at most
-- p_max_dependency_waits times, then they fail: no endless requeue loop).
-- Params: worker id, node, pid, budget, most jobs to handle, lease length in seconds, the
-- tasks this worker can run ('type.task' names; null = any), the dependency-wait cap; how
-- many of the claimed jobs the worker starts at once (null = all), and the jobs it claimed
-- ahead earlier and has started since (see mark_started).
-- An attempt counts when a job starts, not when it is claimed: the first p_start jobs count
-- theirs now (started_at set), the rest are held ahead by the worker (running, leased,
-- started_at null) and count theirs when the worker reports their start, here or in its
-- heartbeat or outcome. A held job whose worker dies goes back without using an attempt
-- (recover_expired_leases).
-- Returns one row per job handled, with action 'run' (execute it), 'fanned_out', 'waiting'
-- (for dependencies) or 'failed' (message says why); spawned counts the jobs the handling
-- inserted (fan-out children, missing dependency jobs). For jobs to run, trace_context is the
-- enqueuer's (see enqueue) and waited_seconds how long the job had been due: since its
-- run_at, or its creation when that was later.
--
-- How, and why (figures in docs/benchmarks.md):
-- - Lease recovery runs only when a lease has lapsed (one index probe decides).
-- - The candidates are chosen and locked first, by one statement. A worker that runs every
--   task reads the head of jobs_claim_order; one that runs up to 8 of them merges the heads
--   of its tasks in jobs_waiting_by_task instead of reading through other tasks' backlog.
-- - The fan-out and dependency checks run only when a candidate is of a task that can fan
--   out or has a dependency, once per distinct dependency of the batch (dependency_completed),
--   on the rows the candidate statement locked.
-- - When every candidate is plain and all fit the budget, one set-based update claims them;
--   otherwise a loop takes them in claim order, and only fan-out and unmet dependencies run
--   per-job SQL that writes (each inside a subtransaction: a failure fails that job alone).
-- - The start of an attempt is the row's started_at, not a history row (see job_history).
-- - enable_seqscan and enable_sort off, generic plans: every statement here has one sensible
--   plan, which stale statistics must not change, and planning it afresh on each call was a
--   fifth of an idle worker's one-job claim.
create or replace function :schema.claim_jobs(
  p_worker_id text, p_node text, p_pid integer, p_budget integer, p_limit integer,
  p_lease_seconds double precision, p_tasks text[], p_max_dependency_waits integer default 20,
  p_start integer default null, p_started bigint[] default null)
returns table (id bigint, type_key text, task_key text, arguments jsonb, priority integer,
               process_units integer, attempts integer, max_attempts integer, action text, message text,
               spawned integer, trace_context jsonb, waited_seconds double precision)
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
  v_held      bigint[] := '{}';
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
  v_cand_ids  bigint[];
  v_cand_types text[];
  v_cand_tasks text[];
  v_cand_args jsonb[];
  v_worker_tasks text[];
  v_special_tasks text[];
  v_subset    boolean;
  v_heads     text;
begin
  if cardinality(p_started) > 0 then
    perform :schema.mark_started(p_worker_id, p_started, true);
  end if;
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

  -- The candidates, locked: the best waiting jobs of the worker's tasks, and those of them of
  -- a task that can fan out or has dependencies, with their arguments (only then do the
  -- checks below run, on these rows). A worker that runs every task reads the head of the claim-order index. One that
  -- runs a few of them (up to 8) merges the heads of its tasks in jobs_waiting_by_task
  -- instead of reading through the others' jobs; it locks up to a batch per task, the
  -- unused rows until this claim commits, which is why a worker of many tasks stays on the
  -- claim-order index.
  if not v_subset or cardinality(v_worker_tasks) > 8 then
    select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > v_available,
           array[min(c.process_units), max(c.process_units)], array_agg(c.id) filter (where c.special),
           array_agg(c.type_key) filter (where c.special), array_agg(c.task_key) filter (where c.special),
           array_agg(c.arguments) filter (where c.special)
      into v_ids, v_over, v_units, v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args
      from (select j.id, j.priority, j.process_units, j.type_key, j.task_key, j.arguments,
                   (j.type_key || '.' || j.task_key) = any (v_special_tasks) as special
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
             select * from (select j.id, j.priority, j.process_units, j.type_key, j.task_key, j.arguments, %L = any ($3) as special
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
    if v_heads is not null then
      execute format($sql$
        select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), coalesce(sum(c.process_units), 0) > $1,
               array[min(c.process_units), max(c.process_units)], array_agg(c.id) filter (where c.special),
               array_agg(c.type_key) filter (where c.special), array_agg(c.task_key) filter (where c.special),
               array_agg(c.arguments) filter (where c.special)
          from (select u.* from (%s) u order by u.priority desc, u.id limit $2) c
        $sql$, v_heads)
        into v_ids, v_over, v_units, v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args
        using v_available, p_limit, v_special_tasks;
    end if;
  end if;

  v_special := v_cand_ids is not null;
  if v_special then
    -- Which candidates fan out or have a dependency not met, decided for the whole batch:
    -- each distinct dependency (task, window, arguments) is looked up once, however many
    -- candidates need it. Dependencies with "same" arithmetic are left to unmet_dependencies.
    -- The candidates' rows come from the statement that locked them, and what a dependency's
    -- specification says is read once per dependency: its arguments are the same for every
    -- candidate when it gives only values.
    with cand as materialized (
      select c.id, c.type_key, c.task_key, c.arguments, t.write_all
        from unnest(v_cand_ids, v_cand_types, v_cand_tasks, v_cand_args) c(id, type_key, task_key, arguments)
        join :schema.tasks t on t.type_key = c.type_key and t.task_key = c.task_key
    ), deps as materialized (
      select d.type_key, d.task_key, d.depends_on_type_key, d.depends_on_task_key, d.freshness, d.arguments as spec,
             exists (select 1 from jsonb_each(d.arguments) a
                      where a.value ->> 'kind' <> 'value' and coalesce(a.value -> 'ops', '[]') <> '[]') as arithmetic,
             case when not exists (select 1 from jsonb_each(d.arguments) a where a.value ->> 'kind' <> 'value')
                  then (select coalesce(jsonb_object_agg(a.key, a.value -> 'value'), '{}') from jsonb_each(d.arguments) a)
             end as fixed
        from :schema.task_dependencies d
       where (d.type_key || '.' || d.task_key) = any (v_special_tasks)
    ), needs as (
      select c.id, d.depends_on_type_key as type_key, d.depends_on_task_key as task_key, d.freshness, d.arithmetic,
             coalesce(d.fixed,
                      (select coalesce(jsonb_object_agg(a.key, case when a.value ->> 'kind' = 'value' then a.value -> 'value'
                                                                     else c.arguments -> (a.value ->> 'parameter') end), '{}')
                         from jsonb_each(d.spec) a)) as arguments
        from cand c
        join deps d on d.type_key = c.type_key and d.task_key = c.task_key
    ), wanted as materialized (
      -- Materialized, so that the lookup below runs once per distinct dependency: the planner
      -- would push its condition below the DISTINCT, to once per candidate.
      select distinct e.type_key, e.task_key, e.freshness, e.arguments from needs e where not e.arithmetic
    ), met as (
      select w.type_key, w.task_key, w.freshness, w.arguments
        from wanted w
       where :schema.dependency_completed(w.type_key, w.task_key, w.arguments, w.freshness)
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
          perform :schema.record_completions(array[v_job.id]);
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
        with failed as (
          update :schema.jobs j set status = 'failed', finished_at = now(), node = p_node, pid = p_pid,
                 message = v_message where j.id = v_job.id
          returning j.id, j.type_key, j.task_key, j.attempts, j.max_attempts
        )
        insert into :schema.job_alerts (job_id, type_key, task_key, final, attempt, max_attempts, cause, message, node, worker_id)
        select f.id, f.type_key, f.task_key, true, f.attempts, f.max_attempts, 'claim', v_message, p_node, p_worker_id from failed f;
        perform :schema.record_events(array[v_job.id], 'failed', p_node, p_pid, v_message);
        perform :schema.fail_dependents(array[v_job.id], p_node, p_pid);
      end if;
      if v_action is not null then
        return query select v_job.id, v_job.type_key, v_job.task_key, v_job.arguments, v_job.priority,
                            v_job.process_units, v_job.attempts, v_job.max_attempts, v_action, v_message, v_spawned,
                            null::jsonb, null::double precision;
        continue;
      end if;
    end if;
    -- Units shrink as this batch fills: a job that no longer fits stays waiting.
    continue when v_job.process_units > v_available;
    v_available := v_available - v_job.process_units;
    v_run := v_run || v_job.id;
  end loop;
  end if;

  -- v_run is in claim order: the first p_start start now, the rest are held (see above).
  if p_start is not null and p_start < cardinality(v_run) then
    v_held := v_run[greatest(p_start, 0) + 1 :];
    v_run := v_run[1 : greatest(p_start, 0)];
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
        returning j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
                  j.trace_context, greatest(j.run_at, j.created_at) as due_at
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts, c.max_attempts,
             'run'::text, null::text, 0, c.trace_context, greatest(extract(epoch from now() - c.due_at)::double precision, 0)
        from claimed c order by c.priority desc, c.id;
  end if;
  if cardinality(v_held) > 0 then
    -- Returned with the attempt they will run as.
    return query
      with claimed as (
        update :schema.jobs j
           set status = 'running', started_at = null, finished_at = null,
               node = p_node, pid = p_pid, worker_id = p_worker_id, waiting_for = null, message = null,
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
         where j.id = any (v_held)
        returning j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
                  j.trace_context, greatest(j.run_at, j.created_at) as due_at
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts + 1, c.max_attempts,
             'run'::text, null::text, 0, c.trace_context, greatest(extract(epoch from now() - c.due_at)::double precision, 0)
        from claimed c order by c.priority desc, c.id;
  end if;
end;
$$;
