-- Cancels jobs. A waiting job becomes cancelled at once (with a history row), and the jobs
-- waiting on it fail, naming it. A running job gets cancel_requested: its worker's heartbeat
-- sees it, aborts the job and records it as cancelled. Finished jobs are left alone.
-- Params: the job ids; the node and process id of whoever cancels (for the history).
-- Raises SQLSTATE JM003 (detail: the id) and changes nothing when an id does not exist.
-- Returns one row per id given: outcome is 'cancelled', 'cancel_requested' or 'finished'
-- (already complete, failed or cancelled: status says which).
create or replace function :schema.cancel_jobs(p_ids bigint[], p_node text, p_pid integer)
returns table (id bigint, status text, outcome text)
language plpgsql volatile
as $$
declare
  v_cancelled bigint[];
begin
  perform :schema.require_jobs(p_ids);
  -- Lock first: a worker claiming one of these jobs either finished claiming (we see running)
  -- or has not started (it skips the locked row).
  perform 1 from :schema.jobs j where j.id = any (p_ids) order by j.id for update;

  with cancelled as (
    update :schema.jobs j
       set status = 'cancelled', finished_at = now(), message = 'cancelled by an operator',
           waiting_for = null, lease_expires_at = null, worker_id = null
     where j.id = any (p_ids) and j.status = 'waiting'
    returning j.id
  ), events as (
    insert into :schema.job_events (job_id, status, node, pid, message)
    select c.id, 'cancelled', p_node, p_pid, 'cancelled by an operator' from cancelled c
  )
  select array_agg(c.id) into v_cancelled from cancelled c;

  update :schema.jobs j set cancel_requested = true
   where j.id = any (p_ids) and j.status = 'running' and not j.cancel_requested;

  if v_cancelled is not null then
    perform :schema.fail_dependents(v_cancelled, p_node, p_pid);
  end if;

  return query
    select g.id, j.status,
           case when j.id = any (coalesce(v_cancelled, '{}')) then 'cancelled'
                when j.status = 'running' then 'cancel_requested'
                else 'finished' end
      from (select distinct u.id from unnest(p_ids) u(id)) g
      join :schema.jobs j on j.id = g.id
     order by g.id;
end;
$$;
