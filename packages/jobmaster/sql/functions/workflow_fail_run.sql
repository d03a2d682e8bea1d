-- Ends a running workflow run as failed or cancelled: steps not yet started are skipped
-- (running ones finish; their completion is still recorded). Does nothing to a run that has
-- already ended. Params: run id, the new status ('failed' or 'cancelled'), the message.
-- Returns true when the run was running.
create or replace function :schema.workflow_fail_run(p_run_id bigint, p_status text, p_message text)
returns boolean
language plpgsql volatile
as $$
begin
  update :schema.workflow_runs r set status = p_status, finished_at = now(), message = p_message
   where r.id = p_run_id and r.status = 'running';
  if not found then
    return false;
  end if;
  update :schema.workflow_run_steps s
     set status = 'skipped', message = format('skipped: the run %s', case when p_status = 'cancelled' then 'was cancelled' else 'failed' end)
   where s.run_id = p_run_id and s.status = 'pending';
  return true;
end;
$$;
