-- Appends one history row per job id.
create or replace function :schema.record_events(p_ids bigint[], p_status text, p_node text, p_pid integer, p_message text)
returns void
language sql volatile
as $$
  insert into :schema.job_events (job_id, status, node, pid, message)
  select id, p_status, p_node, p_pid, p_message from unnest(p_ids) id;
$$;
