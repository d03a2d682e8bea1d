-- JobMaster schema, version 6: a lighter completion. Placeholders as in 0001.
-- complete_jobs took one JSON array of {id, result} objects and rebuilt it into an id array
-- and an object keyed by id; it also probed the waiting-for index with every completed id,
-- one index descent per job, although jobs wait only for jobs of tasks that something
-- depends on. Version 6 takes the ids as an array and the results as a JSON array in the
-- same order, looks for dependents only when a completed job's task is a dependency, and
-- returns only the jobs it did not complete (usually none) instead of a row per job.
-- complete_jobs(text, jsonb) stays for workers of version 5 until they are restarted.

-- Returns the ids of p_ids it did not complete: jobs this worker no longer holds (its lease
-- lapsed and the job went back to the queue, or another worker has it).
create function :schema.complete_jobs(p_worker_id text, p_ids bigint[], p_results jsonb)
returns setof bigint
language plpgsql volatile
set jit = off
set enable_seqscan = off
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
     where j.id = r.id and j.status = 'running' and j.worker_id = p_worker_id
    returning j.id, j.type_key, j.task_key
  )
  select array_agg(d.id), array_agg(distinct d.type_key || '.' || d.task_key) into v_done, v_tasks from done d;
  -- Dependents of these jobs may now be claimable: wake idle workers. Jobs wait only for
  -- jobs of tasks some task depends on (a dependency removed by a later deploy leaves its
  -- waiting dependents to the workers' poll).
  if v_done is not null
     and exists (select 1 from :schema.task_dependencies d
                  where (d.depends_on_type_key || '.' || d.depends_on_task_key) = any (v_tasks))
     and exists (select 1 from :schema.jobs w where w.waiting_for && v_done and w.waiting_for is not null) then
    perform pg_notify(:channel_literal, '');
  end if;
  if coalesce(cardinality(v_done), 0) < cardinality(p_ids) then
    return query select unnest(p_ids) except select unnest(v_done);
  end if;
end;
$$;
