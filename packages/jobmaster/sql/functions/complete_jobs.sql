-- Marks jobs complete with their results, if this worker still holds them. Enqueues the next
-- job of tasks that name one (chain_next_jobs). Records the
-- completions of tasks something depends on (record_completions) and wakes idle workers when
-- a waiting dependent may now run. No history row: job_history reads the completion from
-- the row.
-- Params: worker id; the job ids; their results as a JSON array in the same order.
-- Returns the ids of p_ids it did not complete (usually none): jobs this worker no longer
-- holds (its lease lapsed and the job went back to the queue, or another worker has it), and
-- jobs whose next task refused their result (now failed, still naming this worker).
-- The jobs are reached through the primary key by their ids and matched to their results by
-- a hash join, whatever the statistics say: with the running status as a plain equality and
-- nested loops allowed, stale statistics made the planner start from the lease index and test
-- every running job against every id (a batch of 10,000 took 10 s beside 10,000 other
-- running jobs). `is true` keeps the test without matching that index's predicate.
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
  v_steps bigint[]; -- workflow steps among v_done (jobs.workflow_run_id set)
  v_ok      bigint[]; -- v_done less the jobs whose next task refused their result
  v_refused bigint[];
begin
  if jsonb_typeof(p_results) is distinct from 'array' or jsonb_array_length(p_results) <> coalesce(cardinality(p_ids), 0) then
    raise exception using errcode = 'JM002', message = 'complete_jobs expects one result per job id, as a JSON array in the same order';
  end if;
  with done as (
    update :schema.jobs j
       set status = 'complete', finished_at = now(), result = p_results -> (r.ord::integer - 1),
           lease_expires_at = null, message = null,
           -- A job held ahead whose start was not reported yet counts its attempt now (claim_jobs).
           attempts = j.attempts + (j.started_at is null)::integer, started_at = coalesce(j.started_at, now())
      from unnest(p_ids) with ordinality r(id, ord)
     where j.id = any (p_ids) and j.id = r.id and (j.status = 'running') is true and j.worker_id = p_worker_id
    returning j.id, j.type_key, j.task_key, j.workflow_run_id
  )
  select array_agg(d.id), array_agg(distinct d.type_key || '.' || d.task_key),
         array_agg(d.id) filter (where d.workflow_run_id is not null)
    into v_done, v_tasks, v_steps from done d;
  v_ok := v_done;
  -- Chains (`@task({ next })`): each completed job of a task with a next task enqueues its next
  -- job; a result the next task refuses fails the completed job instead. Plain jobs pay one
  -- look at the tasks table.
  if v_done is not null
     and exists (select 1 from :schema.tasks t
                  where t.next_task_key is not null and (t.type_key || '.' || t.task_key) = any (v_tasks)) then
    v_refused := :schema.chain_next_jobs(v_done);
    if v_refused is not null then
      v_ok := nullif(array(select unnest(v_done) except select unnest(v_refused)), '{}');
      v_steps := nullif(array(select unnest(v_steps) except select unnest(v_refused)), '{}');
      perform :schema.fail_dependents(v_refused, null, null);
    end if;
  end if;
  -- Workflows: advance the runs of completed steps, in this transaction. Plain jobs pay only
  -- the null test above.
  if v_steps is not null then
    perform :schema.workflow_steps_completed(v_steps);
  end if;
  -- Only jobs of tasks some task depends on are recorded, or waited for.
  if v_ok is not null
     and exists (select 1 from :schema.task_dependencies d
                  where (d.depends_on_type_key || '.' || d.depends_on_task_key) = any (v_tasks)) then
    perform :schema.record_completions(v_ok);
    -- Dependents of these jobs may now be claimable: wake idle workers.
    if exists (select 1 from :schema.jobs w where w.waiting_for && v_ok and w.waiting_for is not null) then
      perform pg_notify(:channel_literal, '');
    end if;
  end if;
  if coalesce(cardinality(v_ok), 0) < cardinality(p_ids) then
    return query select unnest(p_ids) except select unnest(v_ok);
  end if;
end;
$$;

-- The form workers of schema version 5 call (p_results: [{"id": 1, "result": <json>}, ...];
-- returns the ids completed), kept so that workers started before an upgrade keep working
-- until they are restarted. Same effect as the form above.
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
  v_steps   bigint[]; -- workflow steps among v_done
  v_refused bigint[]; -- jobs whose next task refused their result (chain_next_jobs)
begin
  select array_agg((r.value ->> 'id')::bigint), jsonb_object_agg(r.value ->> 'id', r.value -> 'result')
    into v_ids, v_results
    from jsonb_array_elements(p_results) r;
  with done as (
    update :schema.jobs j
       set status = 'complete', finished_at = now(), result = v_results -> (j.id::text), lease_expires_at = null, message = null,
           attempts = j.attempts + (j.started_at is null)::integer, started_at = coalesce(j.started_at, now())
     where j.id = any (v_ids) and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.workflow_run_id
  )
  select array_agg(d.id), array_agg(d.id) filter (where d.workflow_run_id is not null) into v_done, v_steps from done d;
  if v_done is not null then
    v_refused := :schema.chain_next_jobs(v_done);
    if v_refused is not null then
      v_done := nullif(array(select unnest(v_done) except select unnest(v_refused)), '{}');
      v_steps := nullif(array(select unnest(v_steps) except select unnest(v_refused)), '{}');
      perform :schema.fail_dependents(v_refused, null, null);
    end if;
  end if;
  if v_done is not null then
    perform :schema.record_completions(v_done);
  end if;
  if v_steps is not null then
    perform :schema.workflow_steps_completed(v_steps);
  end if;
  if v_done is not null and exists (select 1 from :schema.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
    perform pg_notify(:channel_literal, '');
  end if;
  return query select unnest(coalesce(v_done, '{}'));
end;
$$;
