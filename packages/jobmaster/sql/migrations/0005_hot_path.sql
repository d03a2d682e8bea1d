-- JobMaster schema, version 5: a lighter hot path, measured with pnpm bench (docs/benchmarks.md).
-- - History: a job that starts and completes writes no history row (two rows per job, each
--   checked by a foreign key, were more than half of a no-op drain's SQL time). Its current
--   attempt's start is jobs.started_at and its completion jobs.finished_at; job_history()
--   puts them beside the rows in job_events. Every other change still writes its row, and a
--   job that leaves 'running' any other way records its start there first.
-- - Indexes: fewer entries per insert, claim and completion, and the identity as a uuid.
-- - enqueue_many checks a batch with one expression per task (arguments_check).
-- - claim_jobs decides fan-out, dependencies and a binding budget per batch, not per job.
-- Placeholders as in 0001.

-- Fewer indexes to update on every insert, claim and completion. The running jobs of a node
-- are few: the lease-expiry index finds them. jobs_task_status_finished took an entry at
-- each of the three; a dependency's completion is now found through jobs_finished (an entry
-- when a job finishes, which also serves --since windows and pruning by task), and its
-- waiting twin through jobs_waiting_by_task (below), its running twin among the running jobs.
drop index :schema.jobs_running_by_node;
drop index :schema.jobs_task_status_finished;
drop index :schema.jobs_finished_window;
create index jobs_finished on :schema.jobs (type_key, task_key, finished_at) where finished_at is not null;

-- A job's identity (task and arguments) as one stored uuid. The identity index was keyed on
-- (type_key, task_key, md5 text), compared under the database's collation at every insert
-- and at every claim (a claimed job's new row version enters the index again): most of a
-- claim's cost. A uuid compares as 16 bytes. chr(31) cannot occur in task names.
alter table :schema.jobs add column identity_hash uuid
  generated always as (md5(type_key || chr(31) || task_key || chr(31) || arguments::text)::uuid) stored;
drop index :schema.jobs_active_identity;
create unique index jobs_active_identity on :schema.jobs (identity_hash)
  where status in ('waiting', 'running') and job_key is null and schedule_name is null;
-- Waiting jobs by task, for finding a dependency's waiting twin; a claim never touches it.
create index jobs_waiting_by_task on :schema.jobs (type_key, task_key) where status = 'waiting';

-- Rows written before this version: the start of the current attempt and the completion
-- now come from the job row, so their history rows would show twice.
delete from :schema.job_events e
 using :schema.jobs j
 where e.job_id = j.id
   and ((e.status = 'complete' and j.status = 'complete')
        or (e.status = 'running' and j.status in ('running', 'complete') and e.at = j.started_at));

-- A job's history, oldest first: the rows in job_events plus, for a running or complete
-- job, the start of its current attempt and its completion, read from the job row. (Its
-- creation is jobs.created_at.)
create function :schema.job_history(p_id bigint)
returns table (at timestamptz, status text, node text, pid integer, message text)
language sql stable
as $$
  select h.at, h.status, h.node, h.pid, h.message
    from (select e.at, e.status, e.node, e.pid, e.message, e.id
            from :schema.job_events e where e.job_id = p_id
          union all
          select j.started_at, 'running', j.node, j.pid, format('attempt %s of %s', j.attempts, j.max_attempts), null
            from :schema.jobs j where j.id = p_id and j.status in ('running', 'complete') and j.started_at is not null
          union all
          select j.finished_at, 'complete', j.node, j.pid, j.message, null
            from :schema.jobs j where j.id = p_id and j.status = 'complete') h
   order by h.at, h.id nulls last, h.status = 'complete';
$$;

-- Writes the start of the current attempt of running jobs into job_events, for jobs about
-- to leave 'running' by a path other than completion (job_history reads a running job's
-- start from its row, which the next attempt overwrites). Locks the rows it records, so the
-- caller's update sees them unchanged. p_worker_id null: whoever holds them.
create function :schema.record_starts(p_ids bigint[], p_worker_id text)
returns void
language sql volatile
as $$
  with held as (
    select j.id, j.started_at, j.node, j.pid, j.attempts, j.max_attempts
      from :schema.jobs j
     where j.id = any (p_ids) and j.status = 'running' and j.started_at is not null
       and (p_worker_id is null or j.worker_id = p_worker_id)
     order by j.id
       for update
  )
  insert into :schema.job_events (job_id, at, status, node, pid, message)
  select h.id, h.started_at, 'running', h.node, h.pid, format('attempt %s of %s', h.attempts, h.max_attempts) from held h;
$$;

-- As in version 2 without its own `set jit = off` (claim_jobs, its caller, sets it): a SET
-- clause made every call, once per candidate job, save and restore the setting, and kept
-- the planner from inlining it.
-- True when every dependency of a job is already satisfied (a matching job completed within
-- its window), read without writing anything and without a subtransaction, so claiming a job
-- whose dependencies are met costs little. Dependencies with "same" arithmetic are left to
-- unmet_dependencies (false here), as arithmetic on a bad value raises there, inside a
-- subtransaction that fails that job alone.
create or replace function :schema.dependencies_met(p_type_key text, p_task_key text, p_arguments jsonb)
returns boolean
language sql stable
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

-- As in version 2, finding a waiting dependency job through jobs_waiting_by_task and a
-- running one among the running jobs (the lease-expiry index).
create or replace function :schema.unmet_dependencies(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
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
    select min(l.id) into v_id from (
      select c.id from :schema.jobs c
       where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
         and c.status = 'waiting' and c.arguments @> v_args
      union all
      select c.id from :schema.jobs c
       where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
         and c.status = 'running' and c.arguments @> v_args) l;
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

-- As in version 2, without the history rows of the claim and of a fan-out (job_history reads
-- them from the row). enable_seqscan = off: with statistics taken on a smaller table the
-- planner would read every job to update the claimed ones instead of using the primary key.
-- Generic plans: with seqscans and sorts off every statement here has one sensible plan, and
-- planning it afresh on each call was a fifth of an idle worker's one-job claim.
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
  v_tasks     text[];
begin
  perform :schema.recover_expired_leases();
  perform pg_advisory_xact_lock(hashtext(format('jobmaster:node:%s:%s', :channel_literal, p_node)));
  select p_budget - coalesce(sum(j.process_units), 0) into v_available
    from :schema.jobs j where j.status = 'running' and j.node = p_node;

  -- The worker's tasks that exist, and whether any of them can fan out or has dependencies.
  select coalesce(array_agg(t.type_key || '.' || t.task_key), '{}'),
         coalesce(bool_or(cardinality(t.write_all) > 0
                          or exists (select 1 from :schema.task_dependencies d where d.type_key = t.type_key and d.task_key = t.task_key)),
                  false)
    into v_tasks, v_special
    from :schema.tasks t
   where p_tasks is null or (t.type_key || '.' || t.task_key) = any (p_tasks);

  -- Fast path: lock the candidates in one statement; when none needs fan-out or has unmet
  -- dependencies and all fit the budget, claim them all at once. Otherwise the loop below
  -- handles them one by one (the rows locked here are ours, so it sees them again). When
  -- none of the tasks can fan out or has dependencies, no job is looked at for either.
  if not v_special then
    select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'), false, coalesce(sum(c.process_units), 0) > v_available,
           array[min(c.process_units), max(c.process_units)]
      into v_ids, v_special, v_over, v_units
      from (select j.id, j.priority, j.process_units
              from :schema.jobs j
             where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
               and (j.type_key || '.' || j.task_key) = any (v_tasks)
               and (j.waiting_for is null or not exists (
                      select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
             order by j.priority desc, j.id
             limit p_limit
               for update of j skip locked) c;
  else
    -- Which candidates fan out or have a dependency not met, decided for the whole batch:
    -- each distinct dependency (task, window, arguments) is looked up once, however many
    -- candidates need it. Dependencies with "same" arithmetic are left to unmet_dependencies.
    with cand as materialized (
      select j.id, j.priority, j.process_units, j.type_key, j.task_key, j.arguments, t.write_all
        from :schema.jobs j
        join :schema.tasks t on t.type_key = j.type_key and t.task_key = j.task_key
       where j.status = 'waiting' and j.run_at <= now() and j.process_units <= v_available
         and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))
         and (j.waiting_for is null or not exists (
                select 1 from :schema.jobs w where w.id = any (j.waiting_for) and w.status in ('waiting', 'running')))
       order by j.priority desc, j.id
       limit p_limit
         for update of j skip locked
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
    select coalesce(array_agg(c.id order by c.priority desc, c.id), '{}'),
           coalesce(array_agg(c.id) filter (where c.fans_out or c.id in (select u.id from unmet u)), '{}'),
           coalesce(sum(c.process_units), 0) > v_available, array[min(c.process_units), max(c.process_units)]
      into v_ids, v_special_ids, v_over, v_units
      from (select c.*, cardinality(c.write_all) > 0
                        and exists (select 1 from unnest(c.write_all) w where c.arguments -> w = '"ALL"'::jsonb) as fans_out
              from cand c) c;
    v_special := cardinality(v_special_ids) > 0;
  end if;
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
    -- Judged above for the batch; a job that was not a candidate then is judged here.
    if v_job.id = any (v_special_ids)
       or (not v_job.id = any (v_ids)
           and (v_job.fans_out or (v_job.has_deps and not :schema.dependencies_met(v_job.type_key, v_job.task_key, v_job.arguments)))) then
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


-- As in version 2, without the history row (job_history reads completion from the row),
-- and looking for dependents through jobs_waiting_for alone (enable_seqscan = off: with
-- stale statistics the planner would otherwise read every waiting job).
create or replace function :schema.complete_jobs(p_worker_id text, p_results jsonb)
returns setof bigint
language plpgsql volatile
set jit = off
set plan_cache_mode = force_custom_plan
set enable_seqscan = off
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
    returning j.id
  )
  select array_agg(d.id) into v_done from done d;
  -- Dependents of these jobs may now be claimable: wake idle workers.
  if v_done is not null and exists (select 1 from :schema.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
    perform pg_notify(:channel_literal, '');
  end if;
  return query select unnest(coalesce(v_done, '{}'));
end;
$$;

-- As in version 2, recording each job's start before its failure.
create or replace function :schema.fail_jobs(p_worker_id text, p_failures jsonb)
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
  perform :schema.record_starts(array(select (f.value ->> 'id')::bigint from jsonb_array_elements(p_failures) f), p_worker_id);
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

-- As in version 2, recording each job's start before its cancellation.
create or replace function :schema.cancel_running_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
as $$
declare
  v_ids  bigint[];
  v_node text;
  v_pid  integer;
begin
  perform :schema.record_starts(p_ids, p_worker_id);
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

-- As in version 2, recording each job's start before it goes back to the queue.
create or replace function :schema.release_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
as $$
declare
  v_ids       bigint[];
  v_cancelled bigint[];
begin
  perform :schema.record_starts(p_ids, p_worker_id);
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

-- As in version 2, recording each lost job's start before it is retried, failed or cancelled.
create or replace function :schema.recover_expired_leases()
returns integer
language plpgsql volatile
set jit = off
as $$
declare
  v_expired bigint[];
  v_retry   bigint[];
  v_ended   bigint[];
begin
  select array_agg(j.id) into v_expired
    from (select j.id from :schema.jobs j
           where j.status = 'running' and j.lease_expires_at < now()
             for update skip locked) j;
  if v_expired is null then
    return 0;
  end if;
  perform :schema.record_starts(v_expired, null);
  -- A job someone asked to cancel ends as cancelled rather than running again.
  with recovered as (
    update :schema.jobs j
       set status = case when j.cancel_requested then 'cancelled'
                         when j.attempts >= j.max_attempts then 'failed'
                         else 'waiting' end,
           finished_at = case when j.cancel_requested or j.attempts >= j.max_attempts then now() end,
           lease_expires_at = null, worker_id = null,
           message = format('worker %s on node %s stopped renewing its lease (attempt %s of %s)%s',
                            coalesce(j.worker_id, '?'), coalesce(j.node, '?'), j.attempts, j.max_attempts,
                            case when j.cancel_requested then '; cancelled as requested' else '' end)
     where j.id = any (v_expired)
    returning j.id, j.node, j.pid, j.message, j.status
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select r.id, r.status, r.node, r.pid, r.message from recovered r
  )
  select array_agg(r.id) filter (where r.status = 'waiting'), array_agg(r.id) filter (where r.status <> 'waiting')
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

-- Most jobs run as soon as they are enqueued (run_at = created_at, the same transaction's
-- now()); only a job with a later run-at (scheduled, or a retry after its backoff) can
-- need a wake-up timer, so only those are indexed by run-at.
drop index :schema.jobs_waiting_run_at;
create index jobs_waiting_run_at on :schema.jobs (run_at) where status = 'waiting' and run_at > created_at;

-- As in version 4, reading jobs_waiting_run_at (a job due in the future was never due at
-- its creation).
create or replace function :schema.next_wake(p_tasks text[])
returns table (next_run_at timestamptz, next_tick_at timestamptz, db_now timestamptz)
language sql stable
as $$
  select (select min(j.run_at) from :schema.jobs j
           where j.status = 'waiting' and j.run_at > now() and j.run_at > j.created_at
             and (p_tasks is null or (j.type_key || '.' || j.task_key) = any (p_tasks))),
         (select min(s.next_fire_at) from :schema.schedules s where not s.paused),
         now();
$$;

-- As in version 1, finding an identical job by identity_hash.
create or replace function :schema.enqueue(
  p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb,
  p_run_at timestamptz default null, p_spawned_by bigint default null,
  p_job_key text default null, p_on_conflict text default 'raise',
  out job_id bigint, out inserted boolean, out outcome text)
language plpgsql volatile
as $$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_arguments jsonb;
  v_units     integer;
  v_max       integer;
  v_existing  record;
begin
  if p_priority is null then
    raise exception using errcode = 'JM002', message = format('%s: priority must be an integer, got null', v_task);
  end if;
  if p_job_key is not null and length(p_job_key) not between 1 and 255 then
    raise exception using errcode = 'JM002', message = format('%s: a job key must be 1 to 255 characters long, got %s', v_task, length(p_job_key));
  end if;
  if p_on_conflict is null or p_on_conflict not in ('raise', 'ignore', 'replace') then
    raise exception using errcode = 'JM002',
      message = format('%s: on_conflict must be raise, ignore or replace, got %s', v_task, coalesce(to_jsonb(left(p_on_conflict, 40))::text, 'null'));
  end if;
  v_arguments := :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select t.process_units, t.max_attempts into v_units, v_max
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;

  if p_job_key is null then
    loop
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by)
      values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by)
      on conflict (identity_hash)
        where status in ('waiting', 'running') and job_key is null and schedule_name is null
        do nothing
      returning id into job_id;
      if job_id is not null then
        inserted := true;
        outcome := 'inserted';
        perform pg_notify(:channel_literal, '');
        return;
      end if;
      -- An identical job is waiting or running; it may finish before we read it, then retry the insert.
      select j.id into job_id from :schema.jobs j
       where j.identity_hash = md5(p_type_key || chr(31) || p_task_key || chr(31) || v_arguments::text)::uuid
         and j.job_key is null and j.schedule_name is null and j.status in ('waiting', 'running');
      if job_id is not null then
        inserted := false;
        outcome := 'identical';
        return;
      end if;
    end loop;
  end if;

  loop
    insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, job_key)
    values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_job_key)
    on conflict (type_key, task_key, job_key) where job_key is not null and status in ('waiting', 'running') do nothing
    returning id into job_id;
    if job_id is not null then
      inserted := true;
      outcome := coalesce(outcome, 'inserted');
      perform pg_notify(:channel_literal, '');
      return;
    end if;
    -- The key is held. Lock the holder: a claim in progress finishes first, so we see
    -- whether it still waits or now runs.
    select j.id, j.status into v_existing from :schema.jobs j
     where j.type_key = p_type_key and j.task_key = p_task_key and j.job_key = p_job_key
       and j.status in ('waiting', 'running')
     for update;
    continue when not found; -- it finished meanwhile: the key is free again
    if p_on_conflict = 'ignore' then
      job_id := v_existing.id;
      inserted := false;
      outcome := 'existing';
      return;
    elsif p_on_conflict = 'raise' then
      raise exception using errcode = 'JM004',
        message = format('%s: a job with key %s is already %s (job %s); enqueue with on_conflict ignore or replace to reuse it',
                         v_task, to_jsonb(p_job_key)::text, v_existing.status, v_existing.id),
        detail = jsonb_build_object('job_id', v_existing.id::text, 'status', v_existing.status,
                                    'job_key', p_job_key, 'task', v_task)::text;
    elsif v_existing.status = 'waiting' then
      update :schema.jobs j
         set arguments = v_arguments, priority = p_priority, run_at = coalesce(p_run_at, now()),
             process_units = v_units, max_attempts = v_max, attempts = 0, error = null,
             waiting_for = null, dependency_requeues = 0,
             message = 'replaced by a new enqueue with the same key'
       where j.id = v_existing.id;
      insert into :schema.job_events (job_id, status, message)
      values (v_existing.id, 'waiting', 'replaced by a new enqueue with the same key');
      perform pg_notify(:channel_literal, '');
      job_id := v_existing.id;
      inserted := false;
      outcome := 'replaced';
      return;
    else
      -- Running: it cannot take new arguments. It finishes as it is, without retries, and
      -- the key passes to a new job with the new request.
      update :schema.jobs j
         set job_key = null, max_attempts = least(j.max_attempts, j.attempts)
       where j.id = v_existing.id;
      outcome := 'superseded';
    end if;
  end loop;
end;
$$;

-- The fast path's check of one task's arguments, as a SQL boolean over `s.a` (the given
-- arguments object), and the task's defaults. Conservative: true only for arguments that
-- prepare_arguments accepts unchanged but for the defaults it fills in; anything else
-- goes to the slow path, which names the problem. Every name and value is quoted with %L.
create function :schema.arguments_check(p_type_key text, p_task_key text, out check_sql text, out defaults jsonb)
language plpgsql stable
as $$
declare
  v_write_all text[];
  v_param     record;
  v_value     text;
  v_ok        text;
begin
  select t.write_all into v_write_all from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  select format('(s.a - %L::text[]) = ''{}''::jsonb', coalesce(array_agg(p.name), '{}')),
         coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}')
    into check_sql, defaults
    from :schema.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key;
  for v_param in
    select * from :schema.task_parameters p where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := format('(s.a -> %L)', v_param.name);
    v_ok := case v_param.json_type
              when 'integer' then format('(jsonb_typeof(%1$s) = ''number'' and scale((%1$s)::numeric) = 0)', v_value)
              else format('jsonb_typeof(%s) = %L', v_value, v_param.json_type)
            end;
    if v_param.select_from is not null then
      v_ok := format('(%s and %s = any (%L::jsonb[]))', v_ok, v_value,
                     (select array_agg(e) from jsonb_array_elements(v_param.select_from) e));
    end if;
    if v_param.name = any (v_write_all) then
      v_ok := format('(%s = ''"ALL"'' or %s)', v_value, v_ok);
    end if;
    if not v_param.required and v_param.default_value = 'null' then
      v_ok := format('(%s = ''null'' or %s)', v_value, v_ok);
    end if;
    check_sql := check_sql || ' and ' || case when v_param.required then format('s.a ? %L and %s', v_param.name, v_ok)
                                              else format('(not s.a ? %L or %s)', v_param.name, v_ok) end;
  end loop;
end;
$$;

-- As in version 1, faster: the arguments of a batch are checked by one expression per task
-- (arguments_check) instead of a row per job and parameter, defaults are filled by one
-- concatenation, ids are drawn once, and the identical-job lookup runs only for the jobs
-- the insert skipped. Same rules, results and messages (the slow path is unchanged).
create or replace function :schema.enqueue_many(p_jobs jsonb)
returns table (job_id bigint, inserted boolean, outcome text)
language plpgsql volatile
set jit = off
as $$
declare
  v_job      jsonb;
  v_n        integer;
  v_task     record;
  v_check    text := '';
  v_fill     text := '';
  v_ok       boolean;
  v_ids      bigint[];
  v_added    integer;
  v_dup_ords integer[];
  v_twins    bigint[];
  v_args     jsonb[];
  v_outcome  text[];
  v_seq      regclass;
  i          integer;
begin
  if jsonb_typeof(p_jobs) is distinct from 'array' then
    raise exception using errcode = 'JM002', message = 'enqueue_many expects a JSON array of jobs';
  end if;
  v_n := jsonb_array_length(p_jobs);
  if v_n = 0 then
    return;
  end if;

  for v_task in
    select t.type_key, t.task_key, c.check_sql, c.defaults
      from (select distinct e ->> 'type_key' as type_key, e ->> 'task_key' as task_key
              from jsonb_array_elements(p_jobs) e where jsonb_typeof(e) = 'object') d
      join :schema.tasks t on t.type_key = d.type_key and t.task_key = d.task_key
     cross join lateral :schema.arguments_check(t.type_key, t.task_key) c
  loop
    v_check := v_check || format(' when s.type_key = %L and s.task_key = %L then %s', v_task.type_key, v_task.task_key, v_task.check_sql);
    v_fill := v_fill || format(' when s.type_key = %L and s.task_key = %L then %L::jsonb || s.a', v_task.type_key, v_task.task_key, v_task.defaults);
  end loop;

  if v_check <> '' then
    -- Ids follow the array's order; rows go in sorted by identity (the hash first: comparing
    -- the arguments themselves only breaks its ties), so two batches holding the same jobs in
    -- different orders lock them in the same order and cannot deadlock.
    v_seq := pg_get_serial_sequence(':schema.jobs', 'id')::regclass;
    v_ids := array(select nextval(v_seq) from generate_series(1, v_n));
    execute format($sql$
      with src as materialized (
        select e.ord::integer as ord, e.job, e.job ->> 'type_key' as type_key, e.job ->> 'task_key' as task_key,
               case when e.job -> 'arguments' is null or e.job -> 'arguments' = 'null' then '{}'::jsonb
                    when jsonb_typeof(e.job -> 'arguments') = 'object' then e.job -> 'arguments' end as a
          from jsonb_array_elements($1) with ordinality e(job, ord)
      ), checked as (
        select s.ord, s.job, t.type_key, t.task_key, t.process_units, t.max_attempts,
               case when s.job -> 'priority' is null or s.job -> 'priority' = 'null' then 0
                    when jsonb_typeof(s.job -> 'priority') <> 'number' then null
                    when (s.job ->> 'priority') !~ '^-?[0-9]{1,10}$' then null
                    when (s.job ->> 'priority')::bigint between -2147483648 and 2147483647 then (s.job ->> 'priority')::integer
               end as priority,
               case %1$s end as arguments,
               t.type_key is not null and s.a is not null
                 and jsonb_typeof(s.job -> 'type_key') = 'string' and jsonb_typeof(s.job -> 'task_key') = 'string'
                 and (s.job -> 'job_key' is null or s.job -> 'job_key' = 'null')
                 and coalesce(s.job ->> 'on_conflict', 'raise') in ('raise', 'ignore', 'replace')
                 and (s.job -> 'run_at' is null or jsonb_typeof(s.job -> 'run_at') in ('string', 'null'))
                 and coalesce(case %2$s else false end, false) as ok
          from src s
          left join :schema.tasks t on t.type_key = s.type_key and t.task_key = s.task_key
      ), verdict as (
        select bool_and(c.ok and c.priority is not null) as ok from checked c
      ), ins as (
        insert into :schema.jobs (id, type_key, task_key, priority, arguments, process_units, max_attempts, run_at)
        overriding system value
        select ($2::bigint[])[c.ord], c.type_key, c.task_key, c.priority, c.arguments, c.process_units, c.max_attempts,
               coalesce((c.job ->> 'run_at')::timestamptz, now())
          from checked c
         where (select v.ok from verdict v)
         order by c.type_key, c.task_key, jsonb_hash(c.arguments), c.arguments, c.ord
        on conflict (identity_hash)
          where status in ('waiting', 'running') and job_key is null and schedule_name is null
          do nothing
        returning id
      ), skipped as (
        -- Jobs the insert skipped: an identical job, earlier in the batch or already waiting
        -- or running, holds their identity. Null twin: it finished meanwhile.
        select c.ord, c.arguments,
               (select j.id from :schema.jobs j
                 where j.identity_hash = md5(c.type_key || chr(31) || c.task_key || chr(31) || c.arguments::text)::uuid
                   and j.status in ('waiting', 'running') and j.job_key is null and j.schedule_name is null) as twin
          from checked c
         where (select v.ok from verdict v) and (select count(*) from ins) < $3
           and not exists (select 1 from ins n where n.id = ($2::bigint[])[c.ord])
      )
      select (select v.ok from verdict v), (select count(*)::integer from ins),
             (select array_agg(k.ord order by k.ord) from skipped k),
             (select array_agg(k.twin order by k.ord) from skipped k),
             (select array_agg(k.arguments order by k.ord) from skipped k)
    $sql$, v_fill, v_check)
    into v_ok, v_added, v_dup_ords, v_twins, v_args
    using p_jobs, v_ids, v_n;
  end if;

  if coalesce(v_ok, false) then
    v_outcome := array_fill('inserted'::text, array[v_n]);
    for i in 1 .. coalesce(cardinality(v_dup_ords), 0) loop
      v_job := p_jobs -> (v_dup_ords[i] - 1);
      if v_twins[i] is null then
        -- The identical job finished meanwhile: enqueue this one alone (it retries the insert).
        select e.job_id, e.outcome into job_id, outcome
          from :schema.enqueue(v_job ->> 'type_key', v_job ->> 'task_key', coalesce((v_job ->> 'priority')::integer, 0),
                               v_args[i], (v_job ->> 'run_at')::timestamptz, null, null, 'raise') e;
        v_ids[v_dup_ords[i]] := job_id;
        v_outcome[v_dup_ords[i]] := outcome;
      else
        v_ids[v_dup_ords[i]] := v_twins[i];
        v_outcome[v_dup_ords[i]] := 'identical';
      end if;
    end loop;
    if v_added > 0 then
      perform pg_notify(:channel_literal, '');
    end if;
    return query select u.id, u.outcome = 'inserted', u.outcome from unnest(v_ids, v_outcome) u(id, outcome);
    return;
  end if;

  for v_job in select value from jsonb_array_elements(p_jobs) with ordinality order by ordinality loop
    select e.job_id, e.inserted, e.outcome into job_id, inserted, outcome
      from :schema.enqueue(v_job ->> 'type_key', v_job ->> 'task_key',
                           coalesce((v_job ->> 'priority')::integer, 0), v_job -> 'arguments',
                           (v_job ->> 'run_at')::timestamptz, null,
                           v_job ->> 'job_key', coalesce(v_job ->> 'on_conflict', 'raise')) e;
    return next;
  end loop;
end;
$$;
