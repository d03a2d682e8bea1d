-- Puts one job on the queue. Params: type key, task key, priority, arguments (validated,
-- defaults filled), run_at (null = now), spawned_by (the job inserting it, if any), job key
-- (null = none), conflict mode for a key held by a waiting or running job of the task:
--   'raise'   (default) SQLSTATE JM004; detail is {"job_id", "status", "job_key", "task"}.
--   'ignore'  return the existing job's id; nothing changes.
--   'replace' a waiting job takes the new arguments, priority and run_at (its attempts and
--             error reset: it is the new request now). A running job cannot change: it
--             keeps running but gives up the key and will not be retried, and a new job
--             with the key is inserted (graphile-worker's rule for a locked job).
-- p_trace_context: the enqueuer's trace context (OpenTelemetry carrier, e.g. {"traceparent":
-- "00-..."}), kept with a new or replaced job for the run's span to link to (null = none; a
-- job spawned by another, a fan-out child, a dependency or a next job, then keeps the
-- spawner's, so the work a request set off stays in its trace).
-- Without a key, an identical unkeyed job (same task and arguments) already waiting or
-- running is returned instead of inserting a second.
-- Returns job_id, inserted (a new row), outcome: 'inserted', 'identical' (unkeyed twin
-- found), 'existing' (ignore), 'replaced' (waiting job updated), 'superseded' (running job
-- gave up the key to the new job).
-- An identical job is found through identity_hash (a uuid of the task and arguments) and the
-- unique index jobs_active_identity, which decides concurrent inserts.
create or replace function :schema.enqueue(
  p_type_key text, p_task_key text, p_priority integer, p_arguments jsonb,
  p_run_at timestamptz default null, p_spawned_by bigint default null,
  p_job_key text default null, p_on_conflict text default 'raise', p_trace_context jsonb default null,
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
  p_trace_context := :schema.checked_trace_context(v_task, p_trace_context);
  if p_run_at is not null and not :schema.is_real_run_at(p_run_at) then
    raise exception using errcode = 'JM002',
      message = format('%s: run_at must be a time in the years 1 to 9999, got %s', v_task, p_run_at);
  end if;
  if p_trace_context is null and p_spawned_by is not null then
    select j.trace_context into p_trace_context from :schema.jobs j where j.id = p_spawned_by;
  end if;
  v_arguments := :schema.prepare_arguments(p_type_key, p_task_key, p_arguments);
  select t.process_units, t.max_attempts into v_units, v_max
    from :schema.tasks t where t.type_key = p_type_key and t.task_key = p_task_key;

  if p_job_key is null then
    loop
      insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, trace_context)
      values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_trace_context)
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
    insert into :schema.jobs (type_key, task_key, priority, arguments, process_units, max_attempts, run_at, spawned_by, job_key, trace_context)
    values (p_type_key, p_task_key, p_priority, v_arguments, v_units, v_max, coalesce(p_run_at, now()), p_spawned_by, p_job_key, p_trace_context)
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
             waiting_for = null, dependency_requeues = 0, trace_context = p_trace_context,
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
