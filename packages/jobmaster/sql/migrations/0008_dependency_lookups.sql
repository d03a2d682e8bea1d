-- JobMaster schema, version 8: dependency checks that do not grow with the dependency's
-- history. Placeholders as in 0001.
-- A dependency is met when a job of its task whose arguments include the dependency's
-- arguments completed within its window. Up to version 7 that was looked up among the jobs
-- themselves: every completion of the task within the window (jobs_finished), each tested
-- for containment. With 100,000 completions of nice_tasks.foo in the window, a claim of 200
-- bar jobs whose foo had not run took 11.3 s (about 24 ms per check).
-- Version 8 keeps, for each task that some task depends on, its latest completion per
-- argument set (latest_completions), searched by containment through a GIN index. Only
-- completions of such tasks write a row there; other completions pay one probe of
-- task_dependencies per batch, which complete_jobs already made. A deploy that makes a task a
-- dependency fills in its completions of the last 30 days (the longest window), and one that
-- stops it being one removes them. Completions committed while this migration or such a
-- deploy runs, by a worker that still saw the old registry, can be missed: the dependency
-- is then run again, never skipped.
-- complete_jobs reaches the jobs through their ids whatever the statistics say (below), and
-- claim_jobs runs its dependency checks once per distinct dependency, on the rows it locked.
-- A dependency that names every parameter of its task no longer looks through the task's
-- waiting and running jobs for one that includes its arguments: enqueue finds the identical
-- job through the identity index, as it does for any job. (A job that differs only inside
-- a nested value, holds a job key or was fired by a schedule is then not waited for: the
-- dependency job is inserted and run.)

-- The latest completion of each argument set of a task something depends on. `lookup` holds
-- the arguments under the task's keys, {type_key: {task_key: arguments}}, so that each entry
-- of its containment index names the task as well as one argument's value: a dependency's
-- matches are found without reading the task's other completions. (The writers build it:
-- jsonb_build_object is not immutable, so it cannot be an index expression.)
-- Its pending list is kept to the smallest size: every dependency check reads it, and a
-- search reads through the whole list (a default-sized one of 100,000 completions made a
-- check take 2-9 ms; with 64 kB, 0.1 ms). Writing each entry straight into the index
-- instead cost a third more per recorded completion.
create table :schema.latest_completions (
  identity_hash uuid primary key,
  type_key      text not null,
  task_key      text not null,
  lookup        jsonb not null,
  job_id        bigint not null,
  finished_at   timestamptz not null
);
create index latest_completions_by_task on :schema.latest_completions (type_key, task_key, finished_at);
create index latest_completions_lookup on :schema.latest_completions using gin (lookup jsonb_path_ops)
  with (fastupdate = on, gin_pending_list_limit = 64);

-- Records the given jobs' completions when their task is one something depends on: the
-- latest completion per argument set wins. Rows go in sorted by identity, so concurrent
-- batches cannot deadlock.
create function :schema.record_completions(p_ids bigint[])
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

-- Makes latest_completions follow the registry: rows of tasks nothing depends on any more
-- go, and a task that became a dependency (it has no rows yet) gets its completions of the
-- last 30 days, the longest window a dependency can have. Run by the deploy after it syncs
-- the registry.
create function :schema.track_completions()
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

select :schema.track_completions();

-- True when a job of the task whose arguments include p_arguments completed within
-- p_freshness. No arguments: any completion of the task in the window (by task and time);
-- otherwise the containment index finds the matching argument sets, whatever the task's
-- history. The job row has the last word: a pruned completion counts no more, and the
-- window is judged by the job's own finished_at.
create function :schema.dependency_completed(p_type_key text, p_task_key text, p_arguments jsonb, p_freshness interval)
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

-- Unused since version 7 (claim_jobs decides met dependencies for the batch).
drop function :schema.dependencies_met(text, text, jsonb);

-- As in version 5, with the completion looked up by dependency_completed, and the waiting or
-- running twin searched for only when the dependency leaves a parameter to its default:
-- otherwise the job it would insert has all its arguments, and enqueue finds an identical
-- one waiting or running through the identity index.
create or replace function :schema.unmet_dependencies(p_id bigint, p_type_key text, p_task_key text, p_priority integer,
                                                      p_arguments jsonb, out wait_for bigint[], out inserted integer)
language plpgsql volatile
as $$
declare
  v_dep    record;
  v_args   jsonb;
  v_full   jsonb;
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
    continue when :schema.dependency_completed(v_dep.depends_on_type_key, v_dep.depends_on_task_key, v_args, v_dep.freshness);
    select coalesce(jsonb_object_agg(p.name, coalesce(p.default_value, 'null')) filter (where not p.required), '{}') || v_args
      into v_full
      from :schema.task_parameters p
     where p.type_key = v_dep.depends_on_type_key and p.task_key = v_dep.depends_on_task_key;
    v_id := null;
    if v_full <> v_args then
      select min(l.id) into v_id from (
        select c.id from :schema.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'waiting' and c.arguments @> v_args
        union all
        select c.id from :schema.jobs c
         where c.type_key = v_dep.depends_on_type_key and c.task_key = v_dep.depends_on_task_key
           and c.status = 'running' and c.arguments @> v_args) l;
    end if;
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

-- As in version 6, with two changes:
-- - The completions of tasks something depends on are recorded (record_completions).
-- - The jobs are reached through the primary key by their ids, and matched to their results
--   by a hash join, whatever the statistics say. With the running status as a plain equality
--   and nested loops allowed, the planner could start from the running jobs (the lease index)
--   when statistics taken while few jobs ran said there were few, and test each against
--   every id: a batch of 10,000 took 10 s beside 10,000 other running jobs. `is true` keeps
--   the test without matching that index's predicate. (Measured against version 6 on batches
--   of 2,000 beside 4,000 running jobs: level, 25-33 ms.)
create or replace function :schema.complete_jobs(p_worker_id text, p_ids bigint[], p_results jsonb)
returns setof bigint
language plpgsql volatile
set jit = off
set enable_seqscan = off
set enable_nestloop = off
set enable_mergejoin = off
as $$
declare
  v_done  bigint[];
  v_tasks text[];
begin
  if jsonb_typeof(p_results) is distinct from 'array' or jsonb_array_length(p_results) <> coalesce(cardinality(p_ids), 0) then
    raise exception using errcode = 'JM002', message = 'complete_jobs expects one result per job id, as a JSON array in the same order';
  end if;
  with done as (
    update :schema.jobs j
       set status = 'complete', finished_at = now(), result = p_results -> (r.ord::integer - 1),
           lease_expires_at = null, message = null
      from unnest(p_ids) with ordinality r(id, ord)
     where j.id = any (p_ids) and j.id = r.id and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.type_key, j.task_key
  )
  select array_agg(d.id), array_agg(distinct d.type_key || '.' || d.task_key) into v_done, v_tasks from done d;
  -- Only jobs of tasks some task depends on are recorded, or waited for.
  if v_done is not null
     and exists (select 1 from :schema.task_dependencies d
                  where (d.depends_on_type_key || '.' || d.depends_on_task_key) = any (v_tasks)) then
    perform :schema.record_completions(v_done);
    -- Dependents of these jobs may now be claimable: wake idle workers.
    if exists (select 1 from :schema.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
      perform pg_notify(:channel_literal, '');
    end if;
  end if;
  if coalesce(cardinality(v_done), 0) < cardinality(p_ids) then
    return query select unnest(p_ids) except select unnest(v_done);
  end if;
end;
$$;

-- As in version 5 (the form workers of version 5 call until they are restarted), recording
-- completions as above.
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
  if v_done is not null then
    perform :schema.record_completions(v_done);
  end if;
  if v_done is not null and exists (select 1 from :schema.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
    perform pg_notify(:channel_literal, '');
  end if;
  return query select unnest(coalesce(v_done, '{}'));
end;
$$;

-- As in version 3, also deleting the recorded completions the pruned jobs held.
create or replace function :schema.prune_jobs(p_older_than interval, p_type_key text default null, p_task_key text default null)
returns table (status text, deleted bigint)
language sql volatile
as $$
  delete from :schema.latest_completions c
   where c.finished_at < now() - p_older_than
     and (p_type_key is null or (c.type_key = p_type_key and c.task_key = p_task_key));
  with gone as (
    delete from :schema.jobs j
     where j.status in ('complete', 'failed', 'cancelled')
       and j.finished_at < now() - p_older_than
       and (p_type_key is null or (j.type_key = p_type_key and j.task_key = p_task_key))
    returning j.status
  )
  select g.status, count(*) from gone g group by g.status order by g.status;
$$;

-- As in version 7, with these changes:
-- - A dependency's completion is looked up by dependency_completed, once per distinct
--   dependency of the batch (version 7 meant to, but the planner pushed its test below the
--   DISTINCT: it ran once per candidate).
-- - The batch checks read the candidates' rows from the statement that locked them instead
--   of fetching them again, and a dependency's specification once instead of per candidate:
--   a claim of 2,000 jobs with a met dependency took 72 ms against 22 ms for plain jobs.
-- - A fanned-out job's completion is recorded (record_completions) like any other.
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
  v_cand_ids  bigint[];
  v_cand_types text[];
  v_cand_tasks text[];
  v_cand_args jsonb[];
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
