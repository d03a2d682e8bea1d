-- JobMaster schema, version 9: writes that find their jobs through indexes whatever the
-- statistics say, and a dependency of a job at the highest priority. Placeholders as in 0001.
-- Failures, releases, cancellations, heartbeats and the starts recorded before them found
-- their jobs with `id = any(ids) and status = 'running'`. With statistics taken while few
-- jobs ran (a quiet queue analysed, then a busy hour), the planner expected one running job
-- and read them all through the lease index, testing each against the ids: 20,000 rows
-- read for a batch of 200 beside 20,000 running jobs, and for record_starts, a SQL function
-- whose ids are not a constant it can hash, running jobs × batch size comparisons (1.6 s for
-- a failure batch of 20,000 beside 40,000 running). Version 8 cured complete_jobs; these
-- follow it: `(status = 'running') is true` keeps the test without matching the partial
-- indexes' predicates, sequential scans and nested loops are ruled out, so the jobs are read
-- through the primary key by their ids.
-- An operator's retry that an active twin blocks finds the twin through the index that
-- blocked it, not among the task's waiting and running jobs.
-- A dependency goes in at its dependent's priority + 1, which overflowed for a job at
-- 2147483647 (accepted by SQL, refused by the CLI and the TypeScript API): the job failed
-- when claimed. It now goes in at the dependent's priority there, and every door takes the
-- whole integer range.
-- An unknown task's message no longer sends users to "jm tasks" to find it (below).

-- As in version 5.
create or replace function :schema.record_starts(p_ids bigint[], p_worker_id text)
returns void
language sql volatile
set enable_seqscan = off
as $$
  with held as (
    select j.id, j.started_at, j.node, j.pid, j.attempts, j.max_attempts
      from :schema.jobs j
     where j.id = any (p_ids) and (j.status = 'running') is true and j.started_at is not null
       and (p_worker_id is null or j.worker_id = p_worker_id)
     order by j.id
       for update
  )
  insert into :schema.job_events (job_id, at, status, node, pid, message)
  select h.id, h.started_at, 'running', h.node, h.pid, format('attempt %s of %s', h.attempts, h.max_attempts) from held h;
$$;

-- As in version 5.
create or replace function :schema.fail_jobs(p_worker_id text, p_failures jsonb)
returns table (id bigint, final boolean, run_at timestamptz)
language plpgsql volatile
set jit = off
set enable_seqscan = off
set enable_nestloop = off
set enable_mergejoin = off
as $$
declare
  v_ids   bigint[];
  v_rows  jsonb;
  v_final bigint[];
  v_node  text;
  v_pid   integer;
begin
  v_ids := array(select (f.value ->> 'id')::bigint from jsonb_array_elements(p_failures) f);
  perform :schema.record_starts(v_ids, p_worker_id);
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
     where j.id = any (v_ids) and j.id = (f.value ->> 'id')::bigint
       and (j.status = 'running') is true and j.worker_id = p_worker_id
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

-- As in version 5.
create or replace function :schema.cancel_running_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
set enable_seqscan = off
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
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
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

-- As in version 5.
create or replace function :schema.release_jobs(p_worker_id text, p_ids bigint[], p_message text)
returns setof bigint
language plpgsql volatile
set jit = off
set enable_seqscan = off
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
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
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

-- As in version 2.
create or replace function :schema.heartbeat(p_worker_id text, p_ids bigint[], p_lease_seconds double precision)
returns table (id bigint, cancel_requested boolean)
language plpgsql volatile
set jit = off
set plan_cache_mode = force_custom_plan
set enable_seqscan = off
as $$
begin
  update :schema.workers set last_seen_at = now() where worker_id = p_worker_id;
  return query
    update :schema.jobs j
       set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
     where j.id = any (p_ids) and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.cancel_requested;
end;
$$;

-- As in version 3, with the twin that blocks a retry found through the index that blocked it
-- (the identity or the job key) instead of among every waiting and running job of the task.
create or replace function :schema.retry_jobs(p_ids bigint[], p_node text, p_pid integer)
returns table (id bigint, status text, outcome text, twin_id bigint)
language plpgsql volatile
as $$
declare
  v_job   record;
  v_twin  bigint;
  v_any   boolean := false;
begin
  perform :schema.require_jobs(p_ids);
  for v_job in
    select g.id as given, j.id, j.status, j.type_key, j.task_key, j.job_key, j.identity_hash
      from (select distinct u.id from unnest(p_ids) u(id)) g
      left join :schema.jobs j on j.id = g.id
     order by g.id
  loop
    id := v_job.given;
    status := v_job.status;
    twin_id := null;
    if v_job.id is null then
      outcome := 'not_found';
    elsif v_job.status not in ('failed', 'cancelled') then
      outcome := 'not_retryable';
    else
      begin
        update :schema.jobs j
           set status = 'waiting', attempts = 0, run_at = now(), started_at = null, finished_at = null,
               lease_expires_at = null, worker_id = null, waiting_for = null, dependency_requeues = 0,
               result = null, error = null, cancel_requested = false, message = 'retried by an operator'
         where j.id = v_job.id and j.status in ('failed', 'cancelled');
        if found then
          insert into :schema.job_events (job_id, status, node, pid, message)
          values (v_job.id, 'waiting', p_node, p_pid, 'retried by an operator');
          outcome := 'retried';
          status := 'waiting';
          v_any := true;
        else
          -- Changed by someone else since it was read above.
          select j.status into status from :schema.jobs j where j.id = v_job.id;
          outcome := case when status is null then 'not_found' else 'not_retryable' end;
        end if;
      exception when unique_violation then
        if v_job.job_key is not null then
          select t.id into v_twin from :schema.jobs t
           where t.type_key = v_job.type_key and t.task_key = v_job.task_key and t.job_key = v_job.job_key
             and t.status in ('waiting', 'running');
        else
          select t.id into v_twin from :schema.jobs t
           where t.identity_hash = v_job.identity_hash and t.status in ('waiting', 'running')
             and t.job_key is null and t.schedule_name is null;
        end if;
        outcome := 'duplicate';
        twin_id := v_twin;
      end;
    end if;
    return next;
  end loop;
  if v_any then
    perform pg_notify(:channel_literal, '');
  end if;
end;
$$;

-- As in version 8, with a dependency of a job at the highest priority (2147483647) inserted at
-- that priority: priority + 1 overflowed, and the job failed when claimed.
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
        from :schema.enqueue(v_dep.depends_on_type_key, v_dep.depends_on_task_key, least(p_priority, 2147483646) + 1, v_args, null, p_id) e;
      inserted := inserted + v_new::integer;
    end if;
    v_wait := v_wait || v_id;
  end loop;
  wait_for := case when cardinality(v_wait) = 0 then null else v_wait end;
end;
$$;

-- As in version 1, with an unknown task's message saying what "jm tasks" lists: the tasks in
-- code, which may not be deployed (it sent users there to find a task the database lacked).
create or replace function :schema.prepare_arguments(p_type_key text, p_task_key text, p_arguments jsonb)
returns jsonb
language plpgsql stable
as $$
declare
  v_task      text := format('%s.%s', p_type_key, p_task_key);
  v_write_all text[];
  v_result    jsonb := '{}';
  v_param     record;
  v_value     jsonb;
  v_unknown   text;
  v_shown     text;
begin
  select t.write_all into v_write_all
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;
  if not found then
    raise exception using errcode = 'JM001',
      message = format('No task %s is registered in the database ("jm deploy" syncs the tasks in code; "jm tasks" lists those)', v_task);
  end if;
  if p_arguments is null then
    p_arguments := '{}';
  elsif jsonb_typeof(p_arguments) <> 'object' then
    raise exception using errcode = 'JM002',
      message = format('%s: arguments must be a JSON object, got %s', v_task, jsonb_typeof(p_arguments));
  end if;

  select k into v_unknown
    from jsonb_object_keys(p_arguments) k
   where not exists (select 1 from :schema.task_parameters p
                      where p.type_key = p_type_key and p.task_key = p_task_key and p.name = k)
   order by k limit 1;
  if v_unknown is not null then
    raise exception using errcode = 'JM002',
      message = format('%s: unknown parameter %s', v_task, to_jsonb(left(v_unknown, 60))::text);
  end if;

  for v_param in
    select * from :schema.task_parameters p
     where p.type_key = p_type_key and p.task_key = p_task_key order by p.position
  loop
    v_value := p_arguments -> v_param.name;
    if v_value is null then
      if v_param.required then
        raise exception using errcode = 'JM002',
          message = format('%s: missing required parameter "%s"', v_task, v_param.name);
      end if;
      v_value := v_param.default_value;
    elsif v_value = '"ALL"'::jsonb and v_param.name = any (v_write_all) then
      null; -- fans out over the select-from values when the job runs
    else
      v_shown := left(v_value::text, 60);
      if v_value = '"ALL"'::jsonb and (v_param.json_type <> 'string' or v_param.select_from is not null)
         and not coalesce(v_param.select_from @> '["ALL"]'::jsonb, false) then
        raise exception using errcode = 'JM002',
          message = format('%s: "ALL" is only allowed for write-all parameters, and "%s" is not one', v_task, v_param.name);
      elsif v_value = 'null'::jsonb and not v_param.required and v_param.default_value = 'null'::jsonb then
        null; -- an optional parameter whose default is null accepts null
      elsif not (case v_param.json_type
                   when 'integer' then jsonb_typeof(v_value) = 'number' and v_value::text::numeric = trunc(v_value::text::numeric)
                   else jsonb_typeof(v_value) = v_param.json_type
                 end) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be %s, got %s', v_task, v_param.name,
                           case when v_param.json_type in ('integer', 'array', 'object') then 'an ' else 'a ' end || v_param.json_type,
                           v_shown);
      elsif v_param.select_from is not null
            and not exists (select 1 from jsonb_array_elements(v_param.select_from) e where e = v_value) then
        raise exception using errcode = 'JM002',
          message = format('%s: parameter "%s" must be one of %s, got %s', v_task, v_param.name,
                           (select string_agg(e::text, ', ') from jsonb_array_elements(v_param.select_from) e), v_shown);
      end if;
    end if;
    v_result := v_result || jsonb_build_object(v_param.name, v_value);
  end loop;
  return v_result;
end;
$$;
