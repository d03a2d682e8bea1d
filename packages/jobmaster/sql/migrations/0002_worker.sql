-- JobMaster schema, version 2: what workers need to claim, run and finish jobs safely.
-- Placeholders as in 0001.
--
-- The functions a worker calls in its hot path are declared `set jit = off`: their
-- queries touch a handful of rows, but a large queue can make the planner's cost estimate
-- cross jit_above_cost, and compiling would then cost more than the query itself.
-- claim_jobs also sets enable_sort = off: with stale statistics (right after a bulk
-- enqueue) the planner may otherwise sort every waiting job instead of walking the
-- jobs_claim_order index and stopping after p_limit rows.
-- complete_jobs and heartbeat take their job ids as one array and set plan_cache_mode =
-- force_custom_plan, so the planner sees how many ids there are: with statistics taken when
-- no job was running it would otherwise walk every running job and compare each with the
-- whole input (seconds per batch at a thousand jobs).

-- Workers announce themselves so `jm status` can show nodes, budgets and liveness.
create table :schema.workers (
  worker_id     text primary key,
  node          text not null,
  pid           integer not null,
  process_units integer not null,
  concurrency   integer not null,
  started_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now()
);

-- Jobs waiting on dependencies, found when a dependency finishes.
create index jobs_waiting_for on :schema.jobs using gin (waiting_for) where waiting_for is not null;

-- Appends one history row per job id.
create function :schema.record_events(p_ids bigint[], p_status text, p_node text, p_pid integer, p_message text)
returns void
language sql volatile
as $$
  insert into :schema.job_events (job_id, status, node, pid, message)
  select id, p_status, p_node, p_pid, p_message from unnest(p_ids) id;
$$;

-- Fails every waiting job that waits on one of p_ids, and their dependents in turn, naming
-- the dependency that failed. Returns how many jobs it failed.
create function :schema.fail_dependents(p_ids bigint[], p_node text, p_pid integer)
returns integer
language plpgsql volatile
as $$
declare
  v_failed  bigint[];
  v_total   integer := 0;
begin
  loop
    with failed as (
      update :schema.jobs j
         set status = 'failed', finished_at = now(),
             message = format('dependency %s.%s #%s did not complete (%s)', d.type_key, d.task_key, d.id, d.status)
        from :schema.jobs d
       where j.status = 'waiting' and j.waiting_for && p_ids and d.id = any (p_ids) and d.id = any (j.waiting_for)
      returning j.id, j.message
    )
    select array_agg(distinct id) into v_failed from failed;
    exit when v_failed is null;
    insert into :schema.job_events (job_id, status, node, pid, message)
    select id, 'failed', p_node, p_pid, message from :schema.jobs where id = any (v_failed);
    v_total := v_total + cardinality(v_failed);
    p_ids := v_failed;
  end loop;
  return v_total;
end;
$$;

-- Returns jobs whose worker stopped renewing its lease to waiting (the lost run counts as an
-- attempt), fails them when no attempts are left, or cancels them when a cancel was
-- requested; dependents of jobs that ended fail. Returns how many it recovered.
create function :schema.recover_expired_leases()
returns integer
language plpgsql volatile
set jit = off
as $$
declare
  v_retry  bigint[];
  v_ended  bigint[];
begin
  -- A job someone asked to cancel ends as cancelled rather than running again.
  with expired as (
    select id,
           case when cancel_requested then 'cancelled'
                when attempts >= max_attempts then 'failed'
                else 'waiting' end as outcome
      from :schema.jobs
     where status = 'running' and lease_expires_at < now()
     for update skip locked
  ), recovered as (
    update :schema.jobs j
       set status = e.outcome,
           finished_at = case when e.outcome <> 'waiting' then now() end,
           lease_expires_at = null, worker_id = null,
           message = format('worker %s on node %s stopped renewing its lease (attempt %s of %s)%s',
                            coalesce(j.worker_id, '?'), coalesce(j.node, '?'), j.attempts, j.max_attempts,
                            case when e.outcome = 'cancelled' then '; cancelled as requested' else '' end)
      from expired e
     where j.id = e.id
    returning j.id, j.node, j.pid, j.message, e.outcome
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select r.id, r.outcome, r.node, r.pid, r.message from recovered r
  )
  select array_agg(r.id) filter (where r.outcome = 'waiting'), array_agg(r.id) filter (where r.outcome <> 'waiting')
    into v_retry, v_ended from recovered r;
  if v_retry is not null then
    perform pg_notify(:channel_literal, '');
  end if;
  if v_ended is not null then
    perform :schema.fail_dependents(v_ended, null, null);
  end if;
  return coalesce(cardinality(v_retry), 0) + coalesce(cardinality(v_ended), 0);
end;
$$;

-- The concrete arguments a dependency job must have, from the dependency's spec and the
-- dependent's arguments ("same" values, with their arithmetic applied in order).
create function :schema.dependency_arguments(p_spec jsonb, p_arguments jsonb)
returns jsonb
language plpgsql immutable
as $$
declare
  v_result jsonb := '{}';
  v_key    text;
  v_arg    jsonb;
  v_value  jsonb;
  v_number numeric;
  v_step   jsonb;
begin
  for v_key, v_arg in select key, value from jsonb_each(p_spec) loop
    if v_arg ->> 'kind' = 'value' then
      v_value := v_arg -> 'value';
    else
      v_value := p_arguments -> (v_arg ->> 'parameter');
      if jsonb_array_length(coalesce(v_arg -> 'ops', '[]')) > 0 then
        v_number := (v_value #>> '{}')::numeric;
        for v_step in select value from jsonb_array_elements(v_arg -> 'ops') loop
          v_number := case v_step ->> 'op'
                        when '+' then v_number + (v_step ->> 'operand')::numeric
                        when '-' then v_number - (v_step ->> 'operand')::numeric
                        when '*' then v_number * (v_step ->> 'operand')::numeric
                        when '/' then v_number / (v_step ->> 'operand')::numeric
                      end;
        end loop;
        v_value := to_jsonb(case when v_number = trunc(v_number) then trunc(v_number) else v_number end);
      end if;
    end if;
    v_result := v_result || jsonb_build_object(v_key, v_value);
  end loop;
  return v_result;
end;
$$;

-- Expands a write-all job: one job per combination of the select-from values of its "ALL"
-- parameters, at the same priority. Returns {"total": n, "inserted": m}.
create function :schema.fan_out(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
                                 p_arguments jsonb, p_write_all text[])
returns jsonb
language plpgsql volatile
as $$
declare
  v_combos   jsonb := jsonb_build_array(p_arguments);
  v_param    text;
  v_combo    jsonb;
  v_total    integer := 0;
  v_inserted integer := 0;
  v_new      boolean;
begin
  foreach v_param in array p_write_all loop
    continue when p_arguments -> v_param is distinct from '"ALL"'::jsonb;
    select jsonb_agg(c.value || jsonb_build_object(v_param, s.value) order by c.ord, s.ord) into v_combos
      from jsonb_array_elements(v_combos) with ordinality c(value, ord)
     cross join lateral jsonb_array_elements(
             (select p.select_from from :schema.task_parameters p
               where p.type_key = p_type_key and p.task_key = p_task_key and p.name = v_param))
           with ordinality s(value, ord);
  end loop;
  for v_combo in select value from jsonb_array_elements(coalesce(v_combos, '[]')) loop
    select e.inserted into v_new from :schema.enqueue(p_type_key, p_task_key, p_priority, v_combo, null, p_id) e;
    v_total := v_total + 1;
    v_inserted := v_inserted + v_new::integer;
  end loop;
  return jsonb_build_object('total', v_total, 'inserted', v_inserted);
end;
$$;

-- True when every dependency of a job is already satisfied (a matching job completed within
-- its window), read without writing anything and without a subtransaction, so claiming a job
-- whose dependencies are met costs little. Dependencies with "same" arithmetic are left to
-- unmet_dependencies (false here), as arithmetic on a bad value raises there, inside a
-- subtransaction that fails that job alone.
create function :schema.dependencies_met(p_type_key text, p_task_key text, p_arguments jsonb)
returns boolean
language sql stable
set jit = off
as $$
  select not exists (
    select 1 from :schema.task_dependencies d
     where d.type_key = p_type_key and d.task_key = p_task_key
       and (exists (select 1 from jsonb_each(d.arguments) a
                     where a.value ->> 'kind' <> 'value' and coalesce(a.value -> 'ops', '[]') <> '[]')
            or not exists (
              select 1 from :schema.jobs c
               where c.type_key = d.depends_on_type_key and c.task_key = d.depends_on_task_key
                 and c.status = 'complete' and c.finished_at >= now() - d.freshness
                 and c.arguments @> (select coalesce(jsonb_object_agg(a.key, case when a.value ->> 'kind' = 'value' then a.value -> 'value'
                                                                                 else p_arguments -> (a.value ->> 'parameter') end), '{}')
                                       from jsonb_each(d.arguments) a))));
$$;

-- Checks a job's dependencies. wait_for is null when every one completed within its window;
-- otherwise the ids of the dependency jobs to wait for, inserting missing ones at the
-- dependent's priority + 1 (spawned_by = the dependent); inserted counts those new jobs.
create function :schema.unmet_dependencies(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
                                           p_arguments jsonb, out wait_for bigint[], out inserted integer)
language plpgsql volatile
as $$
declare
  v_dep    record;
  v_args   jsonb;
  v_id     bigint;
  v_new    boolean;
  v_wait   bigint[] := '{}';
begin
  inserted := 0;
  for v_dep in
    select * from :schema.task_dependencies d
     where d.type_key = p_type_key and d.task_key = p_task_key order by d.position
  loop
    v_args := :schema.dependency_arguments(v_dep.arguments, p_arguments);
    continue when exists (
      select 1 from :schema.jobs c
       where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
         and c.status = 'complete' and c.finished_at >= now() - v_dep.freshness
         and c.arguments @> v_args);
    select c.id into v_id from :schema.jobs c
     where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
       and c.status in ('waiting', 'running') and c.arguments @> v_args
     order by c.id limit 1;
    if v_id is null then
      select e.job_id, e.inserted into v_id, v_new
        from :schema.enqueue(v_dep.depends_on_type_key, v_dep.depends_on_task_key, p_priority + 1, v_args, null, p_id) e;
      inserted := inserted + v_new::integer;
    end if;
    v_wait := v_wait || v_id;
  end loop;
  wait_for := case when cardinality(v_wait) = 0 then null else v_wait end;
end;
$$;

-- Claims up to p_limit jobs for one worker. Serialised per node so the node's process-unit
-- budget (p_budget, minus the units of jobs already running on p_node) holds however many
-- workers race. Jobs of a write-all task with "ALL" are fanned out instead of run; jobs
-- whose dependencies are unmet go back to waiting on them (at most p_max_dependency_waits
-- times, then they fail: no endless requeue loop).
-- Params: worker id, node, pid, budget, most jobs to handle, lease length, the tasks this
-- worker can run ('type.task' names; null = any), the dependency-wait cap.
-- Returns one row per job handled, with action 'run' (execute it), 'fanned_out',
-- 'waiting' (for dependencies) or 'failed' (message says why); spawned counts the jobs the
-- handling inserted (fan-out children, missing dependency jobs).
-- When every candidate is plain (no fan-out, dependencies met) and all fit the budget, the
-- candidates are locked by one statement and claimed by one set-based update; otherwise a
-- loop takes them one by one, and only fan-out and unmet dependencies run per-job SQL that
-- writes (inside a subtransaction each).
create function :schema.claim_jobs(
  p_worker_id text, p_node text, p_pid integer, p_budget integer, p_limit integer,
  p_lease_seconds double precision, p_tasks text[], p_max_dependency_waits integer default 20)
returns table (id bigint, type_key text, task_key text, arguments jsonb, priority integer,
               process_units integer, attempts integer, max_attempts integer, action text, message text,
               spawned integer)
language plpgsql volatile
set jit = off
set enable_sort = off
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
begin
  perform :schema.recover_expired_leases();
  perform pg_advisory_xact_lock(hashtext(format('jobmaster:node:%s:%s', :channel_literal, p_node)));
  select p_budget - coalesce(sum(j.process_units), 0) into v_available
    from :schema.jobs j where j.status = 'running' and j.node = p_node;

  -- Fast path: lock the candidates in one statement; when none needs fan-out or has unmet
  -- dependencies and all fit the budget, claim them all at once. Otherwise the loop below
  -- handles them one by one (the rows locked here are ours, so it sees them again).
  select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'),
         coalesce(bool_or(c.special), false) or coalesce(sum(c.process_units), 0) > v_available
    into v_ids, v_special
    from (select j.id, j.priority, j.process_units,
                 (cardinality(t.write_all) > 0
                    and exists (select 1 from unnest(t.write_all) w where j.arguments -> w = '"ALL"'::jsonb))
                 or (exists (select 1 from :schema.task_dependencies d where d.type_key = j.type_key and d.task_key = j.task_key)
                     and not :schema.dependencies_met(j.type_key, j.task_key, j.arguments)) as special
            from :schema.jobs j
            join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
           where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
             and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))
             and (j.waiting_for is null or not exists (
                    select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
           order by j.priority desc, j.id
           limit p_limit
             for update of j skip locked) c;
  if not v_special then
    v_run := v_ids;
  else
  for v_job in
    select j.id, j.type_key, j.task_key, j.arguments, j.priority, j.process_units, j.attempts, j.max_attempts,
           j.dependency_requeues, t.write_all,
           cardinality(t.write_all) > 0
             and exists (select 1 from unnest(t.write_all) w where j.arguments -> w = '"ALL"'::jsonb) as fans_out,
           exists (select 1 from :schema.task_dependencies d
                    where d.type_key = j.type_key and d.task_key = j.task_key) as has_deps
      from :schema.jobs j
      join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
     where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
       and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))
       and (j.waiting_for is null or not exists (
              select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
     order by j.priority desc, j.id
     limit p_limit
     for update of j skip locked
  loop
    if v_job.fans_out or (v_job.has_deps and not :schema.dependencies_met(v_job.type_key, v_job.task_key, v_job.arguments)) then
      v_action := null;
      v_spawned := 0;
      -- Fan-out and dependency checks insert jobs; a failure there fails this job alone.
      begin
        if v_job.fans_out then
          v_fan := :schema.fan_out(v_job.id, v_job.type_key, v_job.task_key, v_job.priority, v_job.arguments, v_job.write_all);
          v_spawned := (v_fan ->> 'inserted')::integer;
          v_action := 'fanned_out';
          v_message := format('fanned out into %s jobs (%s new)', v_fan ->> 'total', v_fan ->> 'inserted');
          update :schema.jobs j set status = 'complete', finished_at = now(), node = p_node, pid = p_pid,
                 message = v_message, result = v_fan where j.id = v_job.id;
          perform :schema.record_events(array[v_job.id], 'complete', p_node, p_pid, v_message);
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
    return query
      with claimed as (
        update :schema.jobs j
           set status = 'running', attempts = j.attempts + 1, started_at = now(), finished_at = null,
               node = p_node, pid = p_pid, worker_id = p_worker_id, waiting_for = null, message = null,
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
         where j.id = any (v_run)
        returning j.*
      ), events as (
        insert into :schema.job_events (job_id, status, node, pid, message)
        select c.id, 'running', p_node, p_pid, format('attempt %s of %s', c.attempts, c.max_attempts) from claimed c
      )
      select c.id, c.type_key, c.task_key, c.arguments, c.priority, c.process_units, c.attempts, c.max_attempts,
             'run'::text, null::text, 0
        from claimed c order by c.priority desc, c.id;
  end if;
end;
$$;

-- Marks jobs complete with their results, if this worker still holds them.
-- Param p_results: [{"id": 1, "result": <json>}, ...]. Returns the ids completed.
create function :schema.complete_jobs(p_worker_id text, p_results jsonb)
returns setof bigint
language plpgsql volatile
set jit = off
set plan_cache_mode = force_custom_plan
as $$
declare
  v_ids     bigint[];
  v_results jsonb;
  v_done    bigint[];
begin
  -- The ids as an array and the results keyed by id: the update reaches its rows through
  -- the primary key (or a hashed id list), never by rescanning the input once per job.
  select array_agg((r.value ->> 'id')::bigint), jsonb_object_agg(r.value ->> 'id', r.value -> 'result')
    into v_ids, v_results
    from jsonb_array_elements(p_results) r;
  with done as (
    update :schema.jobs j
       set status = 'complete', finished_at = now(), result = v_results -> (j.id::text), lease_expires_at = null, message = null
     where j.id = any (v_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid)
    select d.id, 'complete', d.node, d.pid from done d
  )
  select array_agg(d.id) into v_done from done d;
  -- Dependents of these jobs may now be claimable: wake idle workers.
  if v_done is not null and exists (select 1 from :schema.jobs w
                                     where w.waiting_for && v_done and w.waiting_for is not null and w.status = 'waiting') then
    perform pg_notify(:channel_literal, '');
  end if;
  return query select unnest(coalesce(v_done, '{}'));
end;
$$;

-- Records a failed attempt of jobs this worker holds. With attempts left the job waits
-- again after a backoff (retry_delay_seconds doubled per attempt, at most an hour);
-- otherwise it fails for good and so do the jobs waiting on it.
-- Param p_failures: [{"id": 1, "message": "...", "stack": "..."}, ...].
-- Returns (id, final, run_at): final is true when the job failed for good; run_at is when a
-- retry may start.
create function :schema.fail_jobs(p_worker_id text, p_failures jsonb)
returns table (id bigint, final boolean, run_at timestamptz)
language plpgsql volatile
set jit = off
as $$
declare
  v_rows  jsonb;
  v_final bigint[];
  v_node  text;
  v_pid   integer;
begin
  with failed as (
    update :schema.jobs j
       set status = case when j.attempts >= j.max_attempts then 'failed' else 'waiting' end,
           finished_at = case when j.attempts >= j.max_attempts then now() end,
           run_at = case when j.attempts >= j.max_attempts then j.run_at
                         else now() + make_interval(secs => least(3600,
                                coalesce((select t.retry_delay_seconds from :schema.tasks t
                                           where t.type_key = j.type_key and t.task_key = j.task_key), 5)
                                * 2 ^ (j.attempts - 1))) end,
           lease_expires_at = null, worker_id = null,
           error = jsonb_build_object('message', f.value ->> 'message', 'stack', f.value ->> 'stack', 'attempt', j.attempts),
           message = case when j.attempts >= j.max_attempts
                          then format('failed on attempt %s of %s: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500))
                          else format('attempt %s of %s failed, retrying: %s', j.attempts, j.max_attempts, left(f.value ->> 'message', 500)) end
      from jsonb_array_elements(p_failures) f
     where j.id = (f.value ->> 'id')::bigint and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.status = 'failed' as final, j.run_at, j.node, j.pid, j.message
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select f.id, case when f.final then 'failed' else 'waiting' end, f.node, f.pid, f.message from failed f
  )
  select jsonb_agg(jsonb_build_object('id', f.id, 'final', f.final, 'run_at', f.run_at)),
         array_agg(f.id) filter (where f.final), min(f.node), min(f.pid)
    into v_rows, v_final, v_node, v_pid from failed f;
  if v_final is not null then
    perform :schema.fail_dependents(v_final, v_node, v_pid);
  end if;
  return query select (r ->> 'id')::bigint, (r ->> 'final')::boolean, (r ->> 'run_at')::timestamptz
                 from jsonb_array_elements(coalesce(v_rows, '[]')) r;
end;
$$;

-- Ends running jobs that someone asked to cancel (jobs.cancel_requested) once their worker
-- has stopped them: status 'cancelled', and the jobs waiting on them fail, naming them.
-- Only jobs this worker still holds are touched. Params: worker id, job ids, the message
-- to record. Returns the ids cancelled.
create function :schema.cancel_running_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
as $$
declare
  v_ids  bigint[];
  v_node text;
  v_pid  integer;
begin
  with cancelled as (
    update :schema.jobs j
       set status = 'cancelled', finished_at = now(), lease_expires_at = null, message = p_message
     where j.id = any (p_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select c.id, 'cancelled', c.node, c.pid, p_message from cancelled c
  )
  select array_agg(c.id), min(c.node), min(c.pid) into v_ids, v_node, v_pid from cancelled c;
  if v_ids is not null then
    perform :schema.fail_dependents(v_ids, v_node, v_pid);
  end if;
  return query select unnest(coalesce(v_ids, '{}'));
end;
$$;

-- Renews the leases of jobs this worker runs and records that the worker is alive.
-- Returns each job still held, with whether someone asked to cancel it; a job missing
-- from the result was lost (its lease lapsed and it went back to the queue).
create function :schema.heartbeat(p_worker_id text, p_ids bigint[], p_lease_seconds double precision)
returns table (id bigint, cancel_requested boolean)
language plpgsql volatile
set jit = off
set plan_cache_mode = force_custom_plan
as $$
begin
  update :schema.workers set last_seen_at = now() where worker_id = p_worker_id;
  return query
    update :schema.jobs j
       set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
     where j.id = any (p_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.cancel_requested;
end;
$$;

-- Gives running jobs back to the queue without counting the attempt (a worker shutting
-- down before they finished); jobs with a pending cancel request end as cancelled instead.
-- Returns the ids released (both kinds).
create function :schema.release_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
as $$
declare
  v_ids       bigint[];
  v_cancelled bigint[];
begin
  -- A job someone asked to cancel is not given back: it ends as cancelled.
  with released as (
    update :schema.jobs j
       set status = case when j.cancel_requested then 'cancelled' else 'waiting' end,
           finished_at = case when j.cancel_requested then now() end,
           attempts = case when j.cancel_requested then j.attempts else greatest(j.attempts - 1, 0) end,
           lease_expires_at = null, worker_id = null,
           message = p_message
     where j.id = any (p_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.node, j.pid, j.status
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, p_message from released r
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status = 'cancelled')
    into v_ids, v_cancelled from released r;
  if v_ids is not null then
    perform pg_notify(:channel_literal, '');
  end if;
  if v_cancelled is not null then
    perform :schema.fail_dependents(v_cancelled, null, null);
  end if;
  return query select unnest(coalesce(v_ids, '{}') || coalesce(v_cancelled, '{}'));
end;
$$;
