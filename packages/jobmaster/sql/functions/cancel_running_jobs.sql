-- Ends running jobs that someone asked to cancel (jobs.cancel_requested) once their worker
-- has stopped them: status 'cancelled', with their start and the cancellation in the
-- history, and the jobs waiting on them fail, naming them. Only jobs this worker still holds
-- are touched. Params: worker id, job ids, the message to record. Returns the ids cancelled.
-- Reads the jobs by id whatever the statistics say, as fail_jobs does.
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
  perform :schema.mark_started(p_worker_id, p_ids);
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
